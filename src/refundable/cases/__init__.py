"""Refund cases: the workflow that keeps a policy's promises about process.

Pure, like the policy engine and the ledger: the case aggregate and its transition table
(``model``, ``transitions``), the stage clocks on the tenant's business calendar
(``clocks``), what the policy's ``cases:`` section requires at intake and allows afterwards
(``rules``), and the journal entries a case decision adds to the ledger's own (``money``).
The service layer (``service.case_handlers``) loads, calls these and stores the result.
"""
