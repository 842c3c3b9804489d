"""viewflow flows (ReferralFlow, CaseFlow, InterventionFlow) are added by the workflow
issue; this app already hosts the timer dispatcher task."""
