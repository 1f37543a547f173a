//! The identity ports on PostgreSQL, each test in its own throw-away
//! database: the shared contract suite, and proof that row-level security
//! confines every tenant-owned table. Needs `STUDIOBRAIN_TEST_POSTGRES_URL`
//! (see [`common`]).

pub mod common;

use common::{LATEST_MIGRATION, on_fresh_database, ports, with_database};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use studiobrain_auth::AuthPorts;
use studiobrain_auth::contract::{membership, run_all, tenant, user};
use studiobrain_auth::models::{ApiKey, ApiKeyScope, ProviderConnection, Role, Team, Tenant, User};
use studiobrain_kernel::TenantId;
use studiobrain_migration::{Migrator, MigratorTrait};

/// Every row `sql` returns.
async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect(sql)
}

#[test]
fn database_urls_swap_only_the_name() {
    assert_eq!(
        with_database("postgres://u@h:5432/test", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/test?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}

#[tokio::test]
async fn contract_suite_passes() {
    on_fresh_database(|store, _| async move {
        assert_eq!(
            store.migration_version().await.expect("version").as_deref(),
            Some(LATEST_MIGRATION)
        );
        run_all(&ports(&store)).await;
    })
    .await;
}

#[tokio::test]
async fn migrations_roll_back_and_reapply() {
    on_fresh_database(|store, owner| async move {
        Migrator::refresh(&owner).await.expect("down then up");
        run_all(&ports(&store)).await;
    })
    .await;
}

#[tokio::test]
async fn every_tenant_table_forces_row_level_security() {
    on_fresh_database(|_, owner| async move {
        let tables = rows(
            &owner,
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity \
             FROM pg_class c \
             JOIN pg_attribute a ON a.attrelid = c.oid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE a.attname = 'tenant_id' AND c.relkind = 'r' AND n.nspname = 'public'",
        )
        .await;
        assert!(!tables.is_empty(), "tenant-owned tables exist");
        for table in tables {
            let name: String = table.try_get("", "relname").expect("relname");
            let enabled: bool = table.try_get("", "relrowsecurity").expect("relrowsecurity");
            let forced: bool = table
                .try_get("", "relforcerowsecurity")
                .expect("relforcerowsecurity");
            assert!(
                enabled && forced,
                "{name}: RLS enabled={enabled} forced={forced}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn app_role_neither_bypasses_rls_nor_owns_tables() {
    on_fresh_database(|_, owner| async move {
        let role = rows(&owner, "SELECT rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'studiobrain_app'").await;
        let [role] = role.as_slice() else { panic!("studiobrain_app exists exactly once") };
        assert!(!role.try_get::<bool>("", "rolbypassrls").expect("rolbypassrls"), "NOBYPASSRLS");
        assert!(!role.try_get::<bool>("", "rolcanlogin").expect("rolcanlogin"), "NOLOGIN");
        let owned = rows(
            &owner,
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = 'studiobrain_app'",
        )
        .await;
        assert!(owned.is_empty(), "studiobrain_app owns no table");
    })
    .await;
}

/// A stored tenant with `members` members, an API key, a team and a
/// provider connection per member.
async fn populated_tenant(ports: &AuthPorts, members: usize) -> Tenant {
    let t = tenant();
    ports.tenants.insert_tenant(&t).await.expect("tenant");
    for n in 0..members {
        let u: User = user();
        ports.users.insert_user(&u).await.expect("user");
        ports
            .tenants
            .insert_membership(&membership(&t, &u, Role::Editor))
            .await
            .expect("membership");
        let key = ApiKey {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: t.id.clone(),
            user_id: u.id.clone(),
            name: format!("key {n}"),
            prefix: "sb_test".into(),
            key_hash: uuid::Uuid::new_v4().to_string(),
            role: Role::Editor,
            scope: ApiKeyScope::Api,
            created_at: t.created_at,
            revoked_at: None,
        };
        ports.api_keys.insert_api_key(&key).await.expect("api key");
        let team = Team {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: t.id.clone(),
            name: format!("team {n}"),
            description: String::new(),
            member_ids: vec![u.id.clone()],
            created_at: t.created_at,
        };
        ports.teams.insert_team(&team).await.expect("team");
        let connection = ProviderConnection {
            tenant_id: t.id.clone(),
            user_id: u.id.clone(),
            provider: "google_drive".into(),
            sealed_access_token: "sealed".into(),
            sealed_refresh_token: None,
            expires_at: None,
            scopes: vec!["drive.file".into()],
            created_at: t.created_at,
            updated_at: t.created_at,
        };
        ports
            .connections
            .upsert_connection(&connection)
            .await
            .expect("connection");
    }
    t
}

#[tokio::test]
async fn row_level_security_confines_unfiltered_queries() {
    on_fresh_database(|store, owner| async move {
        let ports = ports(&store);
        let a = populated_tenant(&ports, 3).await;
        let b = populated_tenant(&ports, 2).await;
        let nobody = TenantId::parse("no-such-tenant").expect("valid id");
        for table in ["memberships", "api_keys", "teams", "provider_connections"] {
            let count = |tenant: TenantId| {
                let store = store.clone();
                async move { store.count_rows_unfiltered_as_tenant(table, &tenant).await.expect(table) }
            };
            assert_eq!(count(a.id.clone()).await, 3, "{table} as tenant A");
            assert_eq!(count(b.id.clone()).await, 2, "{table} as tenant B");
            assert_eq!(count(nobody.clone()).await, 0, "{table} as an unknown tenant");
        }
        assert!(store.count_rows_unfiltered_as_tenant("users", &a.id).await.is_err(), "only tenant tables");

        // Writing another tenant's row fails the policy's WITH CHECK.
        let txn = owner.begin().await.expect("begin");
        let forged = txn
            .execute_unprepared(&format!(
                "SELECT set_config('role', 'studiobrain_app', true), set_config('app.tenant_id', '{a}', true); \
                 INSERT INTO teams (id, tenant_id, name, description, member_ids, created_at) \
                 VALUES ('forged', '{b}', 'forged', '', '[]', now())",
                a = a.id,
                b = b.id,
            ))
            .await;
        let refusal = forged.expect_err("cross-tenant insert is refused").to_string();
        assert!(refusal.contains("row-level security"), "refused by the policy: {refusal}");
    })
    .await;
}
