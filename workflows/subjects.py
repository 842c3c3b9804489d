"""What a process is about: its referral, case or intervention."""


def subject_of(process):
    """The domain object a process is about: its referral, case or intervention. Works
    on the base Process viewflow passes on the claim path (viewflow-notes P1)."""
    process = process.coerced
    for name in ("referral", "case", "intervention"):
        if hasattr(process, name):
            return getattr(process, name)
    return None


def case_of(process):
    """The case behind a case's or an intervention's process (``.Permission(obj=...)``)."""
    subject = subject_of(process)
    return subject if subject is None or not hasattr(subject, "case") else subject.case
