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
diesel::allow_tables_to_appear_in_same_query!(units, unit_categories);
