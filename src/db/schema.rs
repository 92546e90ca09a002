//! The one diesel schema, valid on both backends (see the migrations under `migrations/`).

diesel::table! {
    /// Units (参与单位): government departments, sub-district offices, city-bureau branches,
    /// enterprises and management committees.
    units (id) {
        id -> Text,
        name -> Text,
        short_code -> Text,
        kind -> Text,
        head_name -> Nullable<Text>,
        head_title -> Nullable<Text>,
        deputies -> Text,
        delegation_allowed -> Bool,
        active -> Bool,
        programme_role -> Nullable<Text>,
        lead_activity -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    /// A unit's participation categories (活动主体); a unit can have several.
    unit_categories (unit_id, category) {
        unit_id -> Text,
        category -> Text,
    }
}

diesel::joinable!(unit_categories -> units (unit_id));
diesel::joinable!(users -> units (unit_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    units,
    unit_categories,
    users,
    refresh_tokens,
    login_attempts,
    audit_log,
    matters,
    service_records,
    draws,
    schedules,
    schedule_entries,
    schedule_transitions,
    triggers,
    tracking_subjects,
    participations,
    participation_transitions,
    participation_notes,
    issues,
    issue_events,
    issue_lists,
    idempotency_keys,
    reports,
    calendar_days,
    bulletins,
    compliance_checks,
    compliance_findings,
    compliance_scores,
    unit_aliases,
    work_orders,
    concentration_lists,
    hotline_spikes,
    api_keys,
    webhooks,
    webhook_deliveries,
    webhook_attempts,
    event_notices,
    worker_leases,
    wechat_bindings,
    wechat_tickets,
    import_batches,
    import_refs
);
diesel::joinable!(participation_transitions -> participations (participation_id));
diesel::joinable!(issue_events -> issues (issue_id));
diesel::joinable!(matters -> units (unit_id));
diesel::joinable!(service_records -> units (unit_id));
diesel::joinable!(participations -> units (unit_id));
diesel::joinable!(issues -> units (unit_id));

diesel::table! {
    /// Accounts.
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        unit_id -> Nullable<Text>,
        role -> Text,
        lead_activity -> Nullable<Text>,
        active -> Bool,
        password_hash -> Text,
        must_change_password -> Bool,
        locked_until -> Nullable<Timestamp>,
        password_changed_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    /// Refresh tokens, stored as hashes; a family is one login's chain of rotations.
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        family_started_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Login attempts, for lockout and the per-client rate.
    login_attempts (id) {
        id -> Text,
        username -> Text,
        client -> Text,
        at -> Timestamp,
        succeeded -> Bool,
    }
}

diesel::table! {
    /// The append-only audit log.
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_username -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        actor_unit_id -> Nullable<Text>,
        action -> Text,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        changes -> Nullable<Text>,
        request_id -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        outcome -> Text,
    }
}

diesel::table! {
    /// Matters (事项): a unit's catalogue of approval, public-service and enforcement items and
    /// complaint domains.
    matters (id) {
        id -> Text,
        unit_id -> Text,
        kind -> Text,
        name -> Text,
        code -> Nullable<Text>,
        online -> Bool,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    /// Service records (办件/咨询记录): people a unit served, for follow-up calls.
    service_records (id) {
        id -> Text,
        unit_id -> Text,
        matter_id -> Nullable<Text>,
        served_on -> Date,
        kind -> Text,
        contact_name -> Nullable<Text>,
        phone -> Nullable<Text>,
        purged_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Random draws with their population snapshot, seed and result.
    draws (id) {
        id -> Text,
        purpose -> Text,
        unit_id -> Nullable<Text>,
        reference_date -> Nullable<Date>,
        draw_count -> Integer,
        population -> Text,
        population_hash -> Text,
        seed -> Text,
        seed_source -> Text,
        algorithm -> Text,
        result -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    /// Schedules (活动计划): one per activity and quarter, in revisions.
    schedules (id) {
        id -> Text,
        activity -> Text,
        quarter -> Text,
        revision -> Integer,
        title -> Text,
        notes -> Nullable<Text>,
        status -> Text,
        exemptions -> Text,
        published_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    /// A schedule's entries: who takes part when; `uid` stays the same across revisions.
    schedule_entries (id) {
        id -> Text,
        schedule_id -> Text,
        uid -> Text,
        unit_id -> Text,
        planned_on -> Date,
        participant -> Text,
        mode -> Text,
        matter_ids -> Text,
        place -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// A schedule's workflow history.
    schedule_transitions (id) {
        id -> Text,
        schedule_id -> Text,
        action -> Text,
        from_status -> Text,
        to_status -> Text,
        reason -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    /// Immediate-experience triggers (即时体验的起因), answered by participations (R8).
    triggers (id) {
        id -> Text,
        unit_id -> Text,
        reason -> Text,
        description -> Text,
        raised_on -> Date,
        due_on -> Date,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Tracking subjects (跟踪体验的对象).
    tracking_subjects (id) {
        id -> Text,
        kind -> Text,
        title -> Text,
        unit_ids -> Text,
        active_from -> Date,
        active_to -> Date,
        interval_days -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Participations (参与活动记录): one head's or deputy's experience and its segments.
    participations (id) {
        id -> Text,
        unit_id -> Text,
        activity -> Text,
        mode -> Text,
        activity_on -> Date,
        place -> Text,
        participant_kind -> Text,
        participant -> Text,
        schedule_entry_id -> Nullable<Text>,
        trigger_id -> Nullable<Text>,
        tracking_subject_id -> Nullable<Text>,
        people_received -> Integer,
        matter_ids -> Text,
        summary -> Text,
        segments -> Text,
        status -> Text,
        filed_at -> Nullable<Timestamp>,
        last_filed_at -> Nullable<Timestamp>,
        late_days -> Nullable<Integer>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        segment_types -> Text,
        finding_count -> Integer,
    }
}

diesel::table! {
    /// Steps of a participation's workflow (file, accept, return).
    participation_transitions (id) {
        id -> Text,
        participation_id -> Text,
        action -> Text,
        from_status -> Text,
        to_status -> Text,
        reason -> Nullable<Text>,
        late_days -> Nullable<Integer>,
        actor_id -> Nullable<Text>,
        at -> Timestamp,
        snapshot -> Nullable<Text>,
    }
}

diesel::table! {
    /// Notes appended to a participation (corrections of an accepted one).
    participation_notes (id) {
        id -> Text,
        participation_id -> Text,
        body -> Text,
        author_id -> Nullable<Text>,
        author_username -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    /// The issue ledger (问题台账), Annex 2 columns.
    issues (id) {
        id -> Text,
        unit_id -> Text,
        seq -> Integer,
        source -> Text,
        source_reason -> Nullable<Text>,
        participation_id -> Nullable<Text>,
        segment_type -> Nullable<Text>,
        finding_id -> Nullable<Text>,
        activity -> Nullable<Text>,
        found_on -> Date,
        kind -> Text,
        place -> Nullable<Text>,
        content -> Nullable<Text>,
        method -> Nullable<Text>,
        description -> Text,
        measures -> Nullable<Text>,
        immediate -> Bool,
        deadline -> Nullable<Date>,
        effect -> Nullable<Text>,
        remarks -> Nullable<Text>,
        owner -> Nullable<Text>,
        status -> Text,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    /// The history of each ledger issue.
    issue_events (id) {
        id -> Text,
        issue_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Nullable<Text>,
        changes -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    /// The quarter's issue lists a unit sent (R9).
    issue_lists (id) {
        id -> Text,
        unit_id -> Text,
        quarter -> Text,
        issue_count -> Integer,
        snapshot -> Text,
        submitted_by -> Nullable<Text>,
        submitted_at -> Timestamp,
    }
}

diesel::table! {
    /// First answers of POST requests by (account, Idempotency-Key).
    idempotency_keys (scope_key) {
        scope_key -> Text,
        request_hash -> Text,
        status -> Integer,
        response -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Reports: frozen statistics with their submission.
    reports (id) {
        id -> Text,
        kind -> Text,
        period -> Text,
        activity -> Nullable<Text>,
        narrative -> Nullable<Text>,
        statistics -> Text,
        merged -> Nullable<Text>,
        due_on -> Nullable<Date>,
        late_days -> Nullable<Integer>,
        submitted_by -> Nullable<Text>,
        submitted_at -> Timestamp,
    }
}

diesel::table! {
    /// The working calendar's exceptions: public holidays and make-up working days (调休).
    calendar_days (day) {
        day -> Date,
        year -> Integer,
        kind -> Text,
        name -> Nullable<Text>,
    }
}

diesel::table! {
    /// Bulletins (通报).
    bulletins (id) {
        id -> Text,
        quarter -> Text,
        title -> Text,
        body -> Text,
        report_id -> Nullable<Text>,
        figures -> Nullable<Text>,
        listed -> Text,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        compliance -> Nullable<Text>,
    }
}
diesel::table! {
    /// Compliance checks (专项考核): immutable runs.
    compliance_checks (id) {
        id -> Text,
        period -> Text,
        unit_id -> Nullable<Text>,
        activity -> Nullable<Text>,
        evaluated_on -> Date,
        inputs -> Text,
        settings -> Text,
        progress -> Text,
        listed -> Text,
        previous_check_id -> Nullable<Text>,
        finding_count -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
diesel::table! {
    /// A compliance check's findings.
    compliance_findings (check_id, seq) {
        check_id -> Text,
        seq -> Integer,
        rule -> Text,
        finding_key -> Text,
        unit_id -> Nullable<Text>,
        activity -> Nullable<Text>,
        subject_period -> Nullable<Text>,
        severity -> Text,
        code -> Text,
        message_zh -> Text,
        message_en -> Text,
        evidence -> Text,
        clause -> Text,
        due_on -> Nullable<Date>,
        points -> Integer,
    }
}
diesel::table! {
    /// A compliance check's scores, one per unit.
    compliance_scores (check_id, unit_id) {
        check_id -> Text,
        unit_id -> Text,
        unit_name -> Text,
        rank -> Integer,
        score -> Integer,
        deducted -> Integer,
        findings -> Integer,
    }
}
diesel::table! {
    /// Other names of a unit in imported data.
    unit_aliases (alias) {
        alias -> Text,
        unit_id -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
diesel::table! {
    /// 12345 hotline work orders (工单).
    work_orders (id) {
        id -> Text,
        source -> Text,
        external_id -> Text,
        received_at -> Timestamp,
        received_on -> Date,
        unit_id -> Text,
        category -> Text,
        channel -> Nullable<Text>,
        summary -> Nullable<Text>,
        status -> Text,
        closed_at -> Nullable<Timestamp>,
        due_on -> Date,
        on_time -> Nullable<Bool>,
        satisfaction -> Nullable<Text>,
        imported_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
diesel::table! {
    /// Frozen complaint_concentrated lists (H1).
    concentration_lists (id) {
        id -> Text,
        quarter -> Text,
        period -> Text,
        unit_ids -> Text,
        ranking -> Text,
        rule -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
diesel::table! {
    /// Spikes found (H2).
    hotline_spikes (spike_key) {
        spike_key -> Text,
        unit_id -> Text,
        category -> Text,
        window_from -> Date,
        window_to -> Date,
        order_count -> Integer,
        baseline -> Text,
        trigger_id -> Text,
        created_at -> Timestamp,
    }
}
diesel::table! {
    /// API keys for integrations.
    api_keys (id) {
        id -> Text,
        lookup_id -> Text,
        name -> Text,
        key_hash -> Text,
        scopes -> Text,
        allowed_addresses -> Text,
        expires_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}
diesel::table! {
    /// Webhook subscriptions.
    webhooks (id) {
        id -> Text,
        name -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        active -> Bool,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}
diesel::table! {
    /// The outbox: one delivery of one event to one webhook.
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        redelivery_of -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
diesel::table! {
    /// Each attempt to send a delivery.
    webhook_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        attempt -> Integer,
        started_at -> Timestamp,
        duration_ms -> BigInt,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        response_body -> Nullable<Text>,
    }
}
diesel::table! {
    /// Events raised once by whichever instance scans first.
    event_notices (notice_key) {
        notice_key -> Text,
        created_at -> Timestamp,
    }
}
diesel::table! {
    /// Background jobs held by one instance at a time.
    worker_leases (name) {
        name -> Text,
        holder -> Text,
        expires_at -> Timestamp,
    }
}
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::table! {
    /// WeChat openids bound to accounts.
    wechat_bindings (openid) {
        openid -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}
diesel::table! {
    /// Single-use tickets to bind an openid.
    wechat_tickets (ticket_hash) {
        ticket_hash -> Text,
        openid -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}
diesel::table! {
    /// Import batches of past records.
    import_batches (id) {
        id -> Text,
        kind -> Text,
        source -> Text,
        record_count -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
diesel::table! {
    /// Imported records' external references.
    import_refs (kind, external_ref) {
        kind -> Text,
        external_ref -> Text,
        batch_id -> Text,
        target_id -> Text,
        fingerprint -> Text,
    }
}
