//! The `articles` table: every item ever seen, so that nothing is pushed twice.

use super::{
    Store, StoreResult,
    sql::{self, Transaction},
};
use crate::domain::{ArticleRecord, NewArticle, PushedStory, now_ms};

/// A story whose fingerprint was seen this recently is the same story; older ones may be a new
/// story under a recurring headline.
const FINGERPRINT_MEMORY_MS: i64 = 7 * 24 * 3_600_000;

impl Store {
    /// Whether an item was seen before: under its key in this source, its URL anywhere, or its
    /// fingerprint recently.
    pub async fn is_article_known(&self, article: &NewArticle) -> StoreResult<bool> {
        let found: Option<i64> = sql::query_scalar(
            "SELECT id FROM articles
             WHERE (source_id IS NOT DISTINCT FROM $1 AND item_key = $2) OR ($3 IS NOT NULL AND canonical_url = $3)
                OR ($4 IS NOT NULL AND fingerprint = $4 AND discovered_at > $5)
             LIMIT 1",
        )
        .bind(article.source_id)
        .bind(&article.item_key)
        .bind(&article.canonical_url)
        .bind(&article.fingerprint)
        .bind(now_ms() - FINGERPRINT_MEMORY_MS)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Records what a source holds at its first poll, without pushing any of it, and marks the
    /// source primed in the same transaction: a crash in between cannot turn backlog into news.
    pub async fn record_backlog(&self, source_id: i64, items: &[NewArticle]) -> StoreResult<usize> {
        let mut tx = self.begin_write().await?;
        let mut recorded = 0;
        for item in items {
            recorded += insert_article(&mut tx, item, false).await?.is_some() as usize;
        }
        sql::query("UPDATE sources SET primed = TRUE WHERE id = $1").bind(source_id).execute(&mut tx).await?;
        tx.commit().await?;
        Ok(recorded)
    }

    /// Looks an article up by id.
    pub async fn article(&self, id: i64) -> StoreResult<Option<ArticleRecord>> {
        sql::query_as("SELECT id, source_id, title, url, summary, pushed FROM articles WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// The latest articles of a source, newest first, at most `limit`.
    pub async fn articles_of_source(&self, source_id: i64, limit: i64) -> StoreResult<Vec<ArticleRecord>> {
        sql::query_as(
            "SELECT id, source_id, title, url, summary, pushed FROM articles WHERE source_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(source_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// A source's item as it was pushed, if it was.
    pub async fn pushed_story(&self, source_id: i64, item_key: &str) -> StoreResult<Option<PushedStory>> {
        sql::query_as(
            "SELECT a.id AS article_id, b.id AS broadcast_id, a.title, a.summary, a.url, a.image_url
             FROM articles a JOIN broadcasts b ON b.article_id = a.id
             WHERE a.source_id = $1 AND a.item_key = $2 AND a.pushed = TRUE AND b.kind = 'article'
             ORDER BY b.id LIMIT 1",
        )
        .bind(source_id)
        .bind(item_key)
        .fetch_optional(&self.pool)
        .await
    }

    /// How many articles have been recorded, pushed or not.
    pub async fn count_articles(&self) -> StoreResult<i64> {
        sql::query_scalar("SELECT COUNT(*) FROM articles").fetch_one(&self.pool).await
    }
}

/// Inserts an article unless its key, canonical URL or recent fingerprint is already there;
/// returns its new id. Called inside a writing transaction, so two sources finding the same
/// story at once cannot both insert it.
pub(super) async fn insert_article(
    tx: &mut Transaction,
    article: &NewArticle,
    pushed: bool,
) -> StoreResult<Option<i64>> {
    let now = now_ms();
    sql::query_scalar(
        "INSERT INTO articles (source_id, item_key, canonical_url, fingerprint, title, url, summary, image_url,
                               published_at, discovered_at, pushed)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
         WHERE $4 IS NULL OR NOT EXISTS
             (SELECT 1 FROM articles WHERE fingerprint = $4 AND discovered_at > $10 - $12)
         ON CONFLICT DO NOTHING
         RETURNING id",
    )
    .bind(article.source_id)
    .bind(&article.item_key)
    .bind(&article.canonical_url)
    .bind(&article.fingerprint)
    .bind(&article.title)
    .bind(&article.url)
    .bind(&article.summary)
    .bind(&article.image_url)
    .bind(article.published_at)
    .bind(now)
    .bind(pushed)
    .bind(FINGERPRINT_MEMORY_MS)
    .fetch_optional(&mut *tx)
    .await
}
