//! One way to write a query for both databases kabar speaks. The store's SQL is written once,
//! in the dialect SQLite and PostgreSQL share (`$1` placeholders, `TRUE`/`FALSE`, `RETURNING`,
//! `ON CONFLICT`), and runs on whichever backend the operator chose: these builders look like
//! sqlx's own, keep their parameters until they run, and then bind them for that backend.
//!
//! sqlx's `Any` driver is not used because it cannot read a SQLite integer as a boolean, and
//! PostgreSQL's flags are real booleans.

use std::marker::PhantomData;

use sqlx::{
    Arguments, Encode, FromRow, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Type,
    error::BoxDynError,
    postgres::{PgArguments, PgRow},
    sqlite::{SqliteArguments, SqliteRow},
};

use super::StoreResult;

/// Which database kabar stores in: a SQLite file (the default) or a PostgreSQL server.
#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The SQL a backend speaks, for the few statements where the two part: a JSON list, a claim
/// that skips locked rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The numbers of the JSON array bound as `param`, as rows of one column, `value`.
    pub fn json_integers(self, param: &str) -> String {
        match self {
            Dialect::Sqlite => format!("SELECT value FROM json_each({param})"),
            Dialect::Postgres => format!("SELECT value::BIGINT FROM json_array_elements_text({param}::JSON)"),
        }
    }

    /// The texts of the JSON array bound as `param`, as rows of one column, `value`.
    pub fn json_texts(self, param: &str) -> String {
        match self {
            Dialect::Sqlite => format!("SELECT value FROM json_each({param})"),
            Dialect::Postgres => format!("SELECT value FROM json_array_elements_text({param}::JSON)"),
        }
    }
}

impl Pool {
    pub fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Closes every connection; later queries fail.
    pub async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// A transaction on either backend; dropped without [`Transaction::commit`], it rolls back.
pub enum Transaction {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Transaction {
    pub fn dialect(&self) -> Dialect {
        match self {
            Transaction::Sqlite(_) => Dialect::Sqlite,
            Transaction::Postgres(_) => Dialect::Postgres,
        }
    }

    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Transaction::Sqlite(tx) => tx.commit().await,
            Transaction::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Where a query runs: a pool, or the connection of a transaction.
pub enum Target<'a> {
    SqlitePool(&'a SqlitePool),
    Sqlite(&'a mut SqliteConnection),
    PostgresPool(&'a PgPool),
    Postgres(&'a mut PgConnection),
}

impl<'a> From<&'a Pool> for Target<'a> {
    fn from(pool: &'a Pool) -> Self {
        match pool {
            Pool::Sqlite(pool) => Target::SqlitePool(pool),
            Pool::Postgres(pool) => Target::PostgresPool(pool),
        }
    }
}

impl<'a> From<&'a mut Transaction> for Target<'a> {
    fn from(tx: &'a mut Transaction) -> Self {
        match tx {
            Transaction::Sqlite(tx) => Target::Sqlite(tx),
            Transaction::Postgres(tx) => Target::Postgres(tx),
        }
    }
}

/// A value a query can be given on both backends; it moves into the arguments of the one the
/// query runs on.
pub trait Param<'q>: Send {
    fn add_to_sqlite(self: Box<Self>, arguments: &mut SqliteArguments<'q>) -> Result<(), BoxDynError>;
    fn add_to_postgres(self: Box<Self>, arguments: &mut PgArguments) -> Result<(), BoxDynError>;
}

impl<'q, T> Param<'q> for T
where
    T: Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres> + Send + 'q,
{
    fn add_to_sqlite(self: Box<Self>, arguments: &mut SqliteArguments<'q>) -> Result<(), BoxDynError> {
        arguments.add(*self)
    }

    fn add_to_postgres(self: Box<Self>, arguments: &mut PgArguments) -> Result<(), BoxDynError> {
        arguments.add(*self)
    }
}

/// A row type both backends can read.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A single column's type both backends can read.
pub trait Scalar: Send + Unpin
where
    (Self,): Row,
{
}
impl<T: Send + Unpin> Scalar for T where (T,): Row {}

/// What a query reads: nothing, rows, or one column of each row.
pub struct Statement;
pub struct Rows<O>(PhantomData<O>);
pub struct Column<O>(PhantomData<O>);

/// A query and its parameters, waiting for the backend it will run on.
pub struct Query<'q, Reads> {
    sql: &'q str,

    params: Vec<Box<dyn Param<'q> + 'q>>,
    reads: PhantomData<Reads>,
}

/// A statement that reads nothing back: `execute` says how many rows it changed.
pub fn query(sql: &str) -> Query<'_, Statement> {
    Query { sql, params: Vec::new(), reads: PhantomData }
}

/// A query whose rows are read as `O`.
pub fn query_as<O: Row>(sql: &str) -> Query<'_, Rows<O>> {
    Query { sql, params: Vec::new(), reads: PhantomData }
}

/// A query whose rows' first column is read as `O`.
pub fn query_scalar<O: Scalar>(sql: &str) -> Query<'_, Column<O>>
where
    (O,): Row,
{
    Query { sql, params: Vec::new(), reads: PhantomData }
}

impl<'q, Reads> Query<'q, Reads> {
    /// Gives the next `$n` its value.
    pub fn bind(mut self, value: impl Param<'q> + 'q) -> Self {
        self.params.push(Box::new(value));
        self
    }

    fn sqlite_arguments(&mut self) -> StoreResult<SqliteArguments<'q>> {
        let mut arguments = SqliteArguments::default();
        for param in std::mem::take(&mut self.params) {
            param.add_to_sqlite(&mut arguments).map_err(sqlx::Error::Encode)?;
        }
        Ok(arguments)
    }

    fn postgres_arguments(&mut self) -> StoreResult<PgArguments> {
        let mut arguments = PgArguments::default();
        for param in std::mem::take(&mut self.params) {
            param.add_to_postgres(&mut arguments).map_err(sqlx::Error::Encode)?;
        }
        Ok(arguments)
    }
}

/// Builds the query with sqlx's `$build` for the target's backend and runs `$run` on it.
macro_rules! run_on {
    ($query:expr, $target:expr, $build:path, $run:ident) => {{
        let mut query = $query;
        match $target.into() {
            Target::SqlitePool(pool) => $build(query.sql, query.sqlite_arguments()?).$run(pool).await,
            Target::Sqlite(connection) => $build(query.sql, query.sqlite_arguments()?).$run(connection).await,
            Target::PostgresPool(pool) => $build(query.sql, query.postgres_arguments()?).$run(pool).await,
            Target::Postgres(connection) => $build(query.sql, query.postgres_arguments()?).$run(connection).await,
        }
    }};
}

impl Query<'_, Statement> {
    /// Runs the statement; returns how many rows it changed.
    pub async fn execute<'t>(mut self, target: impl Into<Target<'t>>) -> StoreResult<u64> {
        match target.into() {
            Target::SqlitePool(pool) => sqlx::query_with(self.sql, self.sqlite_arguments()?)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()),
            Target::Sqlite(connection) => sqlx::query_with(self.sql, self.sqlite_arguments()?)
                .execute(connection)
                .await
                .map(|done| done.rows_affected()),
            Target::PostgresPool(pool) => sqlx::query_with(self.sql, self.postgres_arguments()?)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()),
            Target::Postgres(connection) => sqlx::query_with(self.sql, self.postgres_arguments()?)
                .execute(connection)
                .await
                .map(|done| done.rows_affected()),
        }
    }
}

impl<O: Row> Query<'_, Rows<O>> {
    pub async fn fetch_all<'t>(self, target: impl Into<Target<'t>>) -> StoreResult<Vec<O>> {
        run_on!(self, target, sqlx::query_as_with, fetch_all)
    }

    pub async fn fetch_one<'t>(self, target: impl Into<Target<'t>>) -> StoreResult<O> {
        run_on!(self, target, sqlx::query_as_with, fetch_one)
    }

    pub async fn fetch_optional<'t>(self, target: impl Into<Target<'t>>) -> StoreResult<Option<O>> {
        run_on!(self, target, sqlx::query_as_with, fetch_optional)
    }
}

impl<O: Scalar> Query<'_, Column<O>>
where
    (O,): Row,
{
    pub async fn fetch_all<'t>(self, target: impl Into<Target<'t>>) -> StoreResult<Vec<O>> {
        run_on!(self, target, sqlx::query_scalar_with, fetch_all)
    }

    pub async fn fetch_one<'t>(self, target: impl Into<Target<'t>>) -> StoreResult<O> {
        run_on!(self, target, sqlx::query_scalar_with, fetch_one)
    }

    pub async fn fetch_optional<'t>(self, target: impl Into<Target<'t>>) -> StoreResult<Option<O>> {
        run_on!(self, target, sqlx::query_scalar_with, fetch_optional)
    }
}

/// The `VALUES` rows of a multi-row insert: `rows` groups of `columns` numbered placeholders,
/// bound row by row.
pub fn values(columns: usize, rows: usize) -> String {
    let row = |first: usize| {
        let placeholders: Vec<String> = (first..first + columns).map(|n| format!("${n}")).collect();
        format!("({})", placeholders.join(", "))
    };
    let rows: Vec<String> = (0..rows).map(|index| row(1 + index * columns)).collect();
    rows.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_number_placeholders_row_by_row() {
        assert_eq!(values(2, 3), "($1, $2), ($3, $4), ($5, $6)");
        assert_eq!(values(1, 1), "($1)");
    }
}
