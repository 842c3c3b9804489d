"""The cases app's own sections of the case page (see views.CASE_PAGE_SECTIONS)."""


def consents_section(*, actor, case, actions):
    return None
