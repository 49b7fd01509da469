"""Inline policy and request texts for the CLI tests."""

from __future__ import annotations

POLICY = """\
policy: acme
name: Acme
version: "2026-01-01"
effective_from: 2026-01-01
source: Acme test policy
timezone: Africa/Johannesburg
currency: ZAR
calendar: {country: ZA, business_hours: {opens: "09:00", closes: "17:00"}}
process:
  review: {business_days: 10, clause: "8.2"}
  payout: {business_days: 10, clause: "8.3"}
fees:
  admin: {clause: "5", description: Admin fee, percent: 10}
clauses:
  - {id: "1", title: No refunds as a rule}
  - {id: "2", title: Duplicate charges are refunded}
  - {id: "5", title: Admin fee}
  - {id: "8.2", title: Decision within 10 business days}
  - {id: "8.3", title: Payment within 10 business days}
  - {id: "9", title: Contact details, informational: contact details only}
rules:
  - id: duplicate-charge
    clause: "2"
    description: A charge taken twice is refunded less the admin fee.
    when: {reason: duplicate_charge}
    requires:
      - condition: {within: {days: 30, of: charge.charged_at}}
        explain: a duplicate charge must be reported within 30 days
    then:
      outcome: approve
      remedy: refund
      amount: {formula: full}
      fees: [admin]
default: {clause: "1", outcome: deny, explanation: Nothing in the policy covers this request.}
"""

GOOD_REQUEST = """\
policy: acme
requested_at: 2026-03-02T10:00:00+02:00
reason: duplicate_charge
charge: {kind: subscription, amount: "499.00", currency: ZAR,
         charged_at: 2026-02-20T08:00:00+02:00}
"""

DENIED_REQUEST = """\
policy: acme
requested_at: 2026-03-02T10:00:00+02:00
reason: change_of_mind
"""

# The same policy with what a customer must provide and an appeal route (the decision table).
POLICY_WITH_APPEAL = POLICY.replace(
    """  payout: {business_days: 10, clause: "8.3"}
""",
    """  payout: {business_days: 10, clause: "8.3"}
  required_information:
    - {item: "the account email", clause: "8.2"}
    - {item: "the date and amount of both charges", clause: "8.2"}
  appeal: {allowed: true, clause: "8.2", stages: [internal_review, mediation]}
""",
)
