//! SeaORM entities, one module per table of the migrations.

pub mod activity;
pub mod api_key;
pub mod entity_link;
pub mod indexed_entity;
pub mod invite;
pub mod membership;
pub mod one_time_token;
pub mod permission_template;
pub mod provider_connection;
pub mod refresh_token;
pub mod team;
pub mod tenant;
pub mod user;
