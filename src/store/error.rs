/// Errors of the storage layer, classified once here so no caller matches on strings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database URL {0:?} is neither sqlite:… nor postgres:…")]
    UnsupportedUrl(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => Self::NotFound("row".to_owned()),
            sqlx::Error::Database(d) if d.is_unique_violation() => Self::Conflict(
                d.constraint()
                    .map_or_else(|| d.message().to_owned(), str::to_owned),
            ),
            _ => Self::Database(e),
        }
    }
}

impl From<crate::domain::DomainError> for StoreError {
    fn from(e: crate::domain::DomainError) -> Self {
        Self::Corrupt(e.to_string())
    }
}
