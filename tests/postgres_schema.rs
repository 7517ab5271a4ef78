//! kabar's PostgreSQL migrations describe the same database as its SQLite ones: the same tables,
//! columns, nullability, indexes and foreign keys, with PostgreSQL's own types (BIGINT for every
//! number, BOOLEAN for flags). A SQLite migration added without its PostgreSQL twin fails here,
//! naming what is missing.
//!
//! The test runs a PostgreSQL server of its own (see `crates/pg-harness`).

use std::{collections::BTreeSet, str::FromStr};

use sqlx::{
    PgPool, SqlitePool,
    sqlite::{SqliteConnectOptions, SqlitePoolOptions},
};

/// One column: table, name, type class, and whether it may be NULL.
type Column = (String, String, &'static str, bool);
/// One foreign key: table, column, referenced table, what a delete of the referenced row does.
type ForeignKey = (String, String, String, String);

struct Schema {
    tables: BTreeSet<String>,
    columns: BTreeSet<Column>,
    indexes: BTreeSet<String>,
    foreign_keys: BTreeSet<ForeignKey>,
}

async fn sqlite_schema() -> Schema {
    // As `Store::migrate` does: foreign keys off while tables are rebuilt.
    let options = SqliteConnectOptions::from_str("sqlite::memory:").unwrap().foreign_keys(false);
    let pool: SqlitePool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    sqlx::migrate!("./migrations/sqlite").run(&pool).await.unwrap();
    let tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let mut columns = BTreeSet::new();
    let mut foreign_keys = BTreeSet::new();
    for table in &tables {
        let rows: Vec<(String, String, bool, i64)> =
            sqlx::query_as(r#"SELECT name, type, "notnull", pk FROM pragma_table_info(?1)"#)
                .bind(table)
                .fetch_all(&pool)
                .await
                .unwrap();
        for (name, declared, not_null, in_key) in rows {
            let class = match declared.as_str() {
                "INTEGER" => "number",
                "TEXT" => "text",
                other => panic!("{table}.{name}: SQLite type {other} has no PostgreSQL twin in this test"),
            };
            columns.insert((table.clone(), name, class, !(not_null || in_key > 0)));
        }
        let keys: Vec<(String, String, String)> =
            sqlx::query_as(r#"SELECT "from", "table", on_delete FROM pragma_foreign_key_list(?1)"#)
                .bind(table)
                .fetch_all(&pool)
                .await
                .unwrap();
        foreign_keys
            .extend(keys.into_iter().map(|(column, target, on_delete)| (table.clone(), column, target, on_delete)));
    }
    let indexes = sqlx::query_scalar("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    Schema { tables, columns, indexes, foreign_keys }
}

async fn postgres_schema(pool: &PgPool) -> Schema {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name != '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut tables = BTreeSet::new();
    let mut columns = BTreeSet::new();
    for (table, name, data_type, nullable) in rows {
        let class = match data_type.as_str() {
            "bigint" | "boolean" => "number",
            "text" => "text",
            other => panic!("{table}.{name} is {other}: kabar reads numbers as i64, so BIGINT or BOOLEAN"),
        };
        tables.insert(table.clone());
        columns.insert((table, name, class, nullable == "YES"));
    }
    let indexes = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes i WHERE schemaname = 'public'
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let foreign_keys = sqlx::query_as(
        "SELECT kcu.table_name::text, kcu.column_name::text, ccu.table_name::text, rc.delete_rule::text
         FROM information_schema.referential_constraints rc
         JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name
         JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = rc.constraint_name
         WHERE rc.constraint_schema = 'public'",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    Schema { tables, columns, indexes, foreign_keys }
}

/// What one side has and the other lacks, for an assertion message.
fn difference<T: Ord + std::fmt::Debug>(sqlite: &BTreeSet<T>, postgres: &BTreeSet<T>) -> String {
    format!(
        "only in SQLite: {:?}\nonly in PostgreSQL: {:?}",
        sqlite.difference(postgres).collect::<Vec<_>>(),
        postgres.difference(sqlite).collect::<Vec<_>>()
    )
}

#[tokio::test]
async fn postgresql_migrations_make_the_database_the_sqlite_ones_make() {
    let server = pg_harness::TestPostgres::start().expect("a PostgreSQL server of the test's own");
    let url = server.create_database("kabar_schema").unwrap();
    let pool = PgPool::connect(&url).await.unwrap();
    sqlx::migrate!("./migrations/postgres").run(&pool).await.expect("the PostgreSQL migrations apply");
    let (sqlite, postgres) = (sqlite_schema().await, postgres_schema(&pool).await);

    assert_eq!(sqlite.tables, postgres.tables, "tables\n{}", difference(&sqlite.tables, &postgres.tables));
    assert_eq!(sqlite.columns, postgres.columns, "columns\n{}", difference(&sqlite.columns, &postgres.columns));
    assert_eq!(sqlite.indexes, postgres.indexes, "indexes\n{}", difference(&sqlite.indexes, &postgres.indexes));
    assert_eq!(
        sqlite.foreign_keys,
        postgres.foreign_keys,
        "foreign keys\n{}",
        difference(&sqlite.foreign_keys, &postgres.foreign_keys)
    );
    pool.close().await;
}

#[tokio::test]
async fn flags_are_booleans_and_generated_ids_are_identities_on_postgresql() {
    let server = pg_harness::TestPostgres::start().expect("a PostgreSQL server of the test's own");
    let pool = PgPool::connect(&server.create_database("kabar_types").unwrap()).await.unwrap();
    sqlx::migrate!("./migrations/postgres").run(&pool).await.unwrap();

    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO subscribers (platform, address, subscribed_at, updated_at) VALUES ('telegram', '42', 1, 1) RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let (active, has_filters): (bool, bool) =
        sqlx::query_as("SELECT active, has_filters FROM subscribers WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(active && !has_filters, "flags default as on SQLite: active, no filters");
    let large = sqlx::query("INSERT INTO editors (user_id, added_at) VALUES ($1, $2)")
        .bind(i64::from(u32::MAX) * 4)
        .bind(1_767_225_600_000_i64)
        .execute(&pool)
        .await;
    assert!(large.is_ok(), "ids and millisecond times past 32 bits fit: {large:?}");
    pool.close().await;
}
