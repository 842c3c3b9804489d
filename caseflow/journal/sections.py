"""This app's section of the case page (see caseflow.cases.views.CASE_PAGE_SECTIONS)."""


def case_section(*, actor, case, actions):
    return None
