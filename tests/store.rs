//! Store parity: every store method on SQLite and PostgreSQL alike.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestDb;
use diemnong::domain::Catalogue;

#[tokio::test]
async fn migrations_seed_the_default_catalogue() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let c = store.catalogue().await.unwrap();
        let d = Catalogue::defaults();
        assert_eq!(c.categories, d.categories, "{}", db.backend);
        assert_eq!(c.model_kinds, d.model_kinds, "{}", db.backend);
        assert_eq!(store.data_version().await.unwrap(), 0);
        // Connecting again (a restart) runs no migration twice.
        drop(store);
        let again = db.store().await;
        assert_eq!(again.catalogue().await.unwrap().categories.len(), d.categories.len());
        again.close().await;
        db.cleanup().await;
    }
}
