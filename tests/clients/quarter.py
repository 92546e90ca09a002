"""A whole quarter driven through the Python client generated from openapi/openapi.json.

Usage: quarter.py BASE_URL ADMIN_ONE_TIME_PASSWORD

Every request goes through the generated client (`frontline_client`, made by
openapi-python-client in tests/clients/run.sh); there is no hand-written HTTP. Each call's
status is checked and its typed answer read: the admin signs in and sets a password, makes the
accounts of the programme; the 跟执法 lead drafts a schedule that the coordinator reviews, a
leader approves and the lead publishes, and the public reads it; a unit files a 处投诉
participation that its lead accepts; the finding it opened on the ledger is planned, resolved and
closed; the coordinator runs a compliance check of the quarter and exports the Annex 2 lists.
"""

import datetime
import sys
import uuid
import zoneinfo

from frontline_client import AuthenticatedClient, Client
from frontline_client.api.auth import create_session, update_password
from frontline_client.api.compliance import (
    create_compliance_check,
    list_compliance_findings,
    list_compliance_scores,
)
from frontline_client.api.issues import create_issue_transition, get_issue, get_issues_export
from frontline_client.api.participations import (
    create_participation,
    create_participation_transition,
)
from frontline_client.api.public import list_public_schedules
from frontline_client.api.schedules import (
    create_schedule,
    create_schedule_entry,
    create_schedule_transition,
)
from frontline_client.api.units import list_units, lookup_units, update_unit
from frontline_client.api.users import create_user
from frontline_client.models.category import Category
from frontline_client.models.create_check import CreateCheck
from frontline_client.models.create_participation import CreateParticipation
from frontline_client.models.create_schedule import CreateSchedule
from frontline_client.models.create_user import CreateUser
from frontline_client.models.entry_input import EntryInput
from frontline_client.models.issue_transition import IssueTransition
from frontline_client.models.login_request import LoginRequest
from frontline_client.models.lookup_units import LookupUnits
from frontline_client.models.participation_transition import ParticipationTransition
from frontline_client.models.password_change import PasswordChange
from frontline_client.models.transition_request import TransitionRequest
from frontline_client.models.update_unit import UpdateUnit

PASSWORD = "Beilin-Quarter-2026!"
checks = 0


def ok(response, status):
    """The typed answer of a call that had to answer `status`."""
    global checks
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.content[:800]!r}"
    )
    checks += 1
    return response.parsed


def sign_in(base, username, password, new_password=None):
    """An authenticated client; a first sign-in with a one-time password changes it."""
    anon = Client(base_url=base, raise_on_unexpected_status=True)
    pair = ok(create_session.sync_detailed(client=anon, body=LoginRequest(username=username, password=password)), 200)
    client = AuthenticatedClient(base_url=base, token=pair.access_token, raise_on_unexpected_status=True)
    if new_password is not None:
        assert pair.must_change_password
        ok(update_password.sync_detailed(client=client, body=PasswordChange(current_password=password, new_password=new_password)), 204)
    return client


def main(base, otp):
    admin = sign_in(base, "admin", otp, PASSWORD)
    today = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    next_quarter = f"{today.year + 1}-Q1" if today.month > 9 else f"{today.year}-Q{(today.month - 1) // 3 + 2}"

    names = ["区营商办", "区司法局", "区12345市民热线服务中心", "区市场监管局"]
    found = ok(lookup_units.sync_detailed(client=admin, body=LookupUnits(names=names)), 200)
    assert not found.missing, found.missing
    unit_id = {u.name: u.id for u in found.found}
    market = unit_id["区市场监管局"]

    # The unit's head, whose name a participation in person carries.
    ok(update_unit.sync_detailed(id=market, client=admin, if_match="*",
                                 body=UpdateUnit.from_dict({"head": {"name": "王建国", "title": "局长"}})), 200)

    def account(username, role, unit=None, activity=None):
        body = {"username": username, "display_name": username, "role": role}
        if unit is not None:
            body["unit_id"] = str(unit)
        if activity is not None:
            body["lead_activity"] = activity
        created = ok(create_user.sync_detailed(client=admin, body=CreateUser.from_dict(body)), 201)
        return sign_in(base, username, created.one_time_password, PASSWORD)

    coordinator = account("yss.coord", "coordinator", unit_id["区营商办"])
    leader = account("qz.leader", "leader")
    enforcement_lead = account("sfj.lead", "lead", unit_id["区司法局"], "enforcement")
    complaint_lead = account("rx.lead", "lead", unit_id["区12345市民热线服务中心"], "complaint")
    clerk = account("scjg.clerk", "unit", market)

    # The next quarter's 跟执法 plan: drafted, reviewed, approved, published; the public sees it.
    made = create_schedule.sync_detailed(client=enforcement_lead, body=CreateSchedule.from_dict(
        {"activity": "enforcement", "quarter": next_quarter, "title": f"{next_quarter}“跟执法”活动计划"}))
    schedule = ok(made, 201)
    first_day = datetime.date(int(next_quarter[:4]), 3 * (int(next_quarter[-1]) - 1) + 1, 15)
    # Entries change the schedule: If-Match carries the ETag just read.
    ok(create_schedule_entry.sync_detailed(id=schedule.id, client=enforcement_lead, if_match=made.headers["etag"], body=EntryInput.from_dict(
        {"unit_id": str(market), "planned_on": first_day.isoformat(), "participant": {"kind": "head"},
         "mode": "regular", "place": "区市场监管局执法大队"})), 201)
    enforcement_units = ok(list_units.sync_detailed(client=admin, category=Category("law_enforcement"), limit=200), 200)
    exemptions = [{"unit_id": str(u.id), "reason": "本季度已安排专项执法检查"}
                  for u in enforcement_units.items if u.id != market]
    assert len(exemptions) >= 20
    for client, action, extra in [
        (enforcement_lead, "submit", {"exemptions": exemptions}),
        (coordinator, "review", {}),
        (leader, "approve", {}),
        (enforcement_lead, "publish", {}),
    ]:
        schedule = ok(create_schedule_transition.sync_detailed(
            id=schedule.id, client=client, body=TransitionRequest.from_dict({"action": action, **extra})), 200)
    assert schedule.status.value == "published", schedule.status
    public = ok(list_public_schedules.sync_detailed(client=Client(base_url=base)), 200)
    assert any(s.id == schedule.id for s in public), "the public sees the published plan"

    # A 处投诉 participation: drafted and filed by the unit, accepted by the lead.
    segments = [
        {"type": "dispatch_experience", "work_order": "12345-20261120-0012",
         "steps": [{"step": "dispatch", "rating": "ok"}, {"step": "feedback", "rating": "ok"}, {"step": "callback", "rating": "ok"}]},
        {"type": "complaint_analysis", "period": quarter, "counts": [{"category": "食品安全", "count": 42}],
         "typical_cases": ["某小区周边餐馆油烟扰民"], "causes": ["夜间巡查力量不足"], "measures": ["增设夜间巡查班次"],
         "mechanism": "每月投诉分析例会"},
        {"type": "complaint_handling", "work_order": "12345-20261118-0231",
         "approaches": ["direct_coordination", "direct_feedback", "direct_hearing"], "outcome": "协调商户加装油烟净化设备",
         "satisfaction": "satisfied", "follow_up_needed": True,
         "findings": [{"kind": "problem", "description": "油烟净化设备尚未验收", "measure": "一个月内复查"}]},
    ]
    draft = ok(create_participation.sync_detailed(client=clerk, idempotency_key=str(uuid.uuid4()), body=CreateParticipation.from_dict(
        {"unit_id": str(market), "activity": "complaint", "mode": "regular", "activity_on": today.isoformat(),
         "place": "区12345市民热线服务中心", "participant": {"kind": "head"}, "people_received": 3,
         "summary": "局长处投诉", "segments": segments})), 201)
    assert draft.status.value == "draft"
    assert draft.participant.name == "王建国"
    filed = ok(create_participation_transition.sync_detailed(id=draft.id, client=clerk,
                                                             body=ParticipationTransition.from_dict({"action": "file"})), 200)
    assert filed.status.value == "filed" and filed.late_days == 0
    accepted = ok(create_participation_transition.sync_detailed(id=draft.id, client=complaint_lead,
                                                                body=ParticipationTransition.from_dict({"action": "accept"})), 200)
    assert accepted.status.value == "accepted"

    # Its finding is on the ledger: planned and resolved by the unit, closed by the lead.
    findings = [f for s in accepted.segments for f in (getattr(s, "findings", None) or [])]
    assert len(findings) == 1, accepted.segments
    issue_id = findings[0].issue_id
    deadline = (today + datetime.timedelta(days=30)).isoformat()
    for client, body in [
        (clerk, {"action": "plan", "measures": "督促商户加装并验收油烟净化设备", "deadline": deadline}),
        (clerk, {"action": "resolve", "effect": "设备已验收合格"}),
        (complaint_lead, {"action": "close"}),
    ]:
        ok(create_issue_transition.sync_detailed(id=issue_id, client=client, body=IssueTransition.from_dict(body)), 200)
    issue = ok(get_issue.sync_detailed(id=issue_id, client=coordinator), 200)
    assert issue.status.value == "closed", issue.status

    # The quarter's compliance check, and what it says of the unit.
    check = ok(create_compliance_check.sync_detailed(client=coordinator, body=CreateCheck.from_dict({"period": quarter})), 201)
    own = ok(list_compliance_findings.sync_detailed(id=check.id, client=coordinator, unit_id=market, limit=200), 200)
    assert all(str(f.unit_id) == str(market) for f in own.items)
    assert not any(f.rule.value == "R3" for f in own.items), "filed on time: no R3 finding"
    scores = ok(list_compliance_scores.sync_detailed(id=check.id, client=coordinator), 200)
    assert len(scores.items) >= 40, "every unit scored"

    # The Annex 2 lists, as the offices print them.
    xlsx = get_issues_export.sync_detailed(client=coordinator, unit_id=market, format_="xlsx")
    ok(xlsx, 200)
    assert xlsx.content[:2] == b"PK", "an XLSX workbook"
    csv = get_issues_export.sync_detailed(client=coordinator, unit_id=market, format_="csv")
    ok(csv, 200)
    assert "油烟净化设备尚未验收" in csv.content.decode("utf-8-sig")
    print(f"quarter: {checks} passed, 0 failed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
