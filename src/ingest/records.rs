//! Per-layer validation: from [`Fields`] to a domain value, collecting every field's
//! problem rather than stopping at the first.

use sha2::{Digest, Sha256};

use super::fields::{FieldSpec, Fields};
use super::{Context, Layer};
use crate::domain::area::validate_area_code;
use crate::domain::records::{optional_text, parse_bool, required_text};
use crate::domain::{
    AreaGeometry, Batch, DomainError, LonLat, NewArea, NewCamera, NewIncident, NewModel, Severity,
};

/// A layer's record type.
pub trait Record: Sized + Send + 'static {
    const LAYER: Layer;
    const FIELDS: &'static [FieldSpec];

    /// Validates one record; on failure, every problem as (field, reason).
    ///
    /// # Errors
    /// One [`DomainError`] per field that is wrong.
    fn parse(f: &dyn Fields, ctx: &Context) -> Result<Self, Vec<DomainError>>;

    /// The key that must be unique within a file and makes re-imports idempotent.
    fn key(&self) -> Option<&str>;

    fn batch(rows: Vec<Self>) -> Batch;
}

const fn spec(name: &'static str, aliases: &'static [&'static str], required: bool) -> FieldSpec {
    FieldSpec {
        name,
        aliases,
        required,
    }
}

const EXTERNAL_ID: FieldSpec = spec(
    "external_id",
    &[
        "id",
        "externalid",
        "ext_id",
        "case_id",
        "incident_id",
        "ma",
        "ma_vu_viec",
        "uid",
    ],
    false,
);
const LON: FieldSpec = spec(
    "lon",
    &["lng", "long", "longitude", "x", "kinh_do", "kinh_độ"],
    true,
);
const LAT: FieldSpec = spec("lat", &["latitude", "y", "vi_do", "vĩ_độ"], true);

pub const INCIDENT_FIELDS: &[FieldSpec] = &[
    EXTERNAL_ID,
    spec(
        "occurred_at",
        &[
            "datetime",
            "date",
            "date_time",
            "timestamp",
            "time",
            "occurred",
            "ngay",
            "thoi_gian",
            "thời_gian",
        ],
        true,
    ),
    spec(
        "category",
        &[
            "type",
            "crime_type",
            "offense",
            "offence",
            "loai",
            "loại",
            "loai_toi_pham",
        ],
        true,
    ),
    spec(
        "severity",
        &["muc_do", "mức_độ", "class", "seriousness"],
        false,
    ),
    spec(
        "solved",
        &["cleared", "closed", "da_pha_an", "đã_phá_án", "clearance"],
        false,
    ),
    LON,
    LAT,
    spec(
        "address",
        &["addr", "dia_chi", "địa_chỉ", "location", "street"],
        false,
    ),
    spec("ward", &["phuong", "phường", "ward_name"], false),
];

pub const CAMERA_FIELDS: &[FieldSpec] = &[
    EXTERNAL_ID,
    LON,
    LAT,
    spec("kind", &["type", "camera_type", "loai", "loại"], false),
    spec(
        "active",
        &["enabled", "status", "hoat_dong", "hoạt_động"],
        false,
    ),
    spec(
        "installed_at",
        &["installed", "install_date", "date", "ngay_lap_dat"],
        false,
    ),
];

pub const MODEL_FIELDS: &[FieldSpec] = &[
    EXTERNAL_ID,
    LON,
    LAT,
    spec(
        "kind",
        &["type", "model_kind", "loai", "loại", "loai_mo_hinh"],
        true,
    ),
    spec("name", &["ten", "tên", "title", "ten_mo_hinh"], true),
    spec(
        "established_at",
        &["established", "date", "founded", "ngay_thanh_lap"],
        false,
    ),
    spec(
        "active",
        &["enabled", "status", "hoat_dong", "hoạt_động"],
        false,
    ),
];

pub const AREA_FIELDS: &[FieldSpec] = &[
    spec("code", &["id", "external_id", "ma", "mã"], true),
    spec("name", &["ten", "tên", "title"], true),
    spec("kind", &["type", "loai", "loại", "level"], true),
    spec(
        "population",
        &["pop", "dan_so", "dân_số", "residents"],
        false,
    ),
    spec("geometry", &["wkt", "geom", "the_geom", "shape"], true),
];

/// Collects the result of one field into `errors`, yielding `None` on failure.
fn check<T>(errors: &mut Vec<DomainError>, r: Result<T, DomainError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

fn number(field: &'static str, text: Option<&str>) -> Result<f64, DomainError> {
    let t = text
        .ok_or_else(|| DomainError::new(field, "is required"))?
        .trim();
    // Spreadsheets in Vietnamese locales write a decimal comma; a comma is never a
    // thousands separator in a coordinate.
    let v: f64 = t
        .replace(',', ".")
        .parse()
        .map_err(|_| DomainError::new(field, format!("{t:?} is not a number")))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(DomainError::new(
            field,
            format!("{t:?} is not a finite number"),
        ))
    }
}

/// Position from `lon`/`lat` fields, or from a GeoJSON Point geometry.
fn location(f: &dyn Fields, errors: &mut Vec<DomainError>) -> Option<LonLat> {
    if let Some(g) = f.geometry() {
        return match &g.value {
            geojson::GeometryValue::Point { coordinates } if coordinates.len() >= 2 => check(
                errors,
                LonLat::new(coordinates[0], coordinates[1])
                    .map_err(|e| DomainError::new("geometry", e.reason)),
            ),
            other => {
                errors.push(DomainError::new(
                    "geometry",
                    format!("is a {}; expected a Point", other.type_name()),
                ));
                None
            }
        };
    }
    let lon = check(errors, number("lon", f.text("lon")));
    let lat = check(errors, number("lat", f.text("lat")));
    check(errors, LonLat::new(lon?, lat?))
}

fn optional_instant(
    ctx: &Context,
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<i64>, DomainError> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| ctx.zone.parse_instant(field, t))
        .transpose()
}

fn finish<T>(errors: Vec<DomainError>, value: Option<T>) -> Result<T, Vec<DomainError>> {
    match value {
        Some(v) if errors.is_empty() => Ok(v),
        _ => Err(errors),
    }
}

impl Record for NewIncident {
    const LAYER: Layer = Layer::Incidents;
    const FIELDS: &'static [FieldSpec] = INCIDENT_FIELDS;

    fn parse(f: &dyn Fields, ctx: &Context) -> Result<Self, Vec<DomainError>> {
        let mut e = Vec::new();
        let external_id = check(&mut e, optional_text("external_id", f.text("external_id")));
        let occurred_at = check(
            &mut e,
            f.text("occurred_at")
                .ok_or_else(|| DomainError::new("occurred_at", "is required"))
                .and_then(|t| ctx.zone.parse_instant("occurred_at", t)),
        );
        let category = check(
            &mut e,
            match f.text("category") {
                None => Err(DomainError::new("category", "is required")),
                Some(t) => ctx.catalogue.category(t).map(str::to_owned).ok_or_else(|| {
                    DomainError::new("category", format!("{t:?} is not in the category catalogue (GET /api/v1/catalogue lists the codes)"))
                }),
            },
        );
        let severity = check(
            &mut e,
            f.text("severity")
                .map_or(Ok(Severity::LessSerious), str::parse),
        );
        let solved = check(
            &mut e,
            f.text("solved")
                .map_or(Ok(false), |t| parse_bool("solved", t)),
        );
        let location = location(f, &mut e);
        let address = check(&mut e, optional_text("address", f.text("address")));
        let ward = check(&mut e, optional_text("ward", f.text("ward")));
        let value = (|| {
            let (occurred_at, category, location) = (occurred_at?, category?, location?);
            // A file without ids still imports idempotently: the id is derived from what
            // identifies the event (time, category, place, address).
            let external_id = external_id?.or_else(|| {
                let mut h = Sha256::new();
                h.update(occurred_at.to_le_bytes());
                h.update(category.as_bytes());
                h.update(location.lon().to_le_bytes());
                h.update(location.lat().to_le_bytes());
                h.update(address.clone().flatten().unwrap_or_default().as_bytes());
                Some(format!("auto:{}", hex::encode(&h.finalize()[..12])))
            });
            Some(Self::new(
                external_id,
                occurred_at,
                category,
                severity?,
                solved?,
                location,
                address?,
                ward?,
            ))
        })();
        finish(e, value)
    }

    fn key(&self) -> Option<&str> {
        self.external_id.as_deref()
    }

    fn batch(rows: Vec<Self>) -> Batch {
        Batch::Incidents(rows)
    }
}

impl Record for NewCamera {
    const LAYER: Layer = Layer::Cameras;
    const FIELDS: &'static [FieldSpec] = CAMERA_FIELDS;

    fn parse(f: &dyn Fields, ctx: &Context) -> Result<Self, Vec<DomainError>> {
        let mut e = Vec::new();
        let external_id = check(&mut e, optional_text("external_id", f.text("external_id")));
        let location = location(f, &mut e);
        let kind = check(&mut e, optional_text("kind", f.text("kind")));
        let active = check(
            &mut e,
            f.text("active")
                .map_or(Ok(true), |t| parse_bool("active", t)),
        );
        let installed_at = check(
            &mut e,
            optional_instant(ctx, "installed_at", f.text("installed_at")),
        );
        let value = (|| {
            Some(Self {
                external_id: external_id?,
                location: location?,
                kind: kind?.unwrap_or_else(|| "fixed".to_owned()),
                active: active?,
                installed_at: installed_at?,
            })
        })();
        finish(e, value)
    }

    fn key(&self) -> Option<&str> {
        self.external_id.as_deref()
    }

    fn batch(rows: Vec<Self>) -> Batch {
        Batch::Cameras(rows)
    }
}

impl Record for NewModel {
    const LAYER: Layer = Layer::Models;
    const FIELDS: &'static [FieldSpec] = MODEL_FIELDS;

    fn parse(f: &dyn Fields, ctx: &Context) -> Result<Self, Vec<DomainError>> {
        let mut e = Vec::new();
        let external_id = check(&mut e, optional_text("external_id", f.text("external_id")));
        let location = location(f, &mut e);
        let kind = check(
            &mut e,
            match f.text("kind") {
                None => Err(DomainError::new("kind", "is required")),
                Some(t) => ctx.catalogue.model_kind(t).map(str::to_owned).ok_or_else(|| {
                    DomainError::new("kind", format!("{t:?} is not in the model-kind catalogue (GET /api/v1/catalogue lists the codes)"))
                }),
            },
        );
        let name = check(&mut e, required_text("name", f.text("name")));
        let established_at = check(
            &mut e,
            optional_instant(ctx, "established_at", f.text("established_at")),
        );
        let active = check(
            &mut e,
            f.text("active")
                .map_or(Ok(true), |t| parse_bool("active", t)),
        );
        let value = (|| {
            Some(Self {
                external_id: external_id?,
                location: location?,
                kind: kind?,
                name: name?,
                established_at: established_at?,
                active: active?,
            })
        })();
        finish(e, value)
    }

    fn key(&self) -> Option<&str> {
        self.external_id.as_deref()
    }

    fn batch(rows: Vec<Self>) -> Batch {
        Batch::Models(rows)
    }
}

impl Record for NewArea {
    const LAYER: Layer = Layer::Areas;
    const FIELDS: &'static [FieldSpec] = AREA_FIELDS;

    fn parse(f: &dyn Fields, _ctx: &Context) -> Result<Self, Vec<DomainError>> {
        let mut e = Vec::new();
        let code = check(
            &mut e,
            required_text("code", f.text("code")).and_then(|c| validate_area_code(&c).map(|()| c)),
        );
        let name = check(&mut e, required_text("name", f.text("name")));
        let kind = check(
            &mut e,
            f.text("kind")
                .ok_or_else(|| DomainError::new("kind", "is required"))
                .and_then(str::parse),
        );
        let population = check(
            &mut e,
            f.text("population")
                .filter(|t| !t.trim().is_empty())
                .map(|t| {
                    let t = t.trim();
                    // JSON numbers arrive as text; accept "25000" and "25000.0", not "25000.5".
                    t.parse::<u64>().or_else(|_| match t.parse::<f64>() {
                        #[expect(
                            clippy::cast_possible_truncation,
                            clippy::cast_sign_loss,
                            reason = "checked integral and non-negative"
                        )]
                        Ok(v) if v >= 0.0 && v.fract() == 0.0 && v < 9.0e15 => Ok(v as u64),
                        _ => Err(DomainError::new(
                            "population",
                            format!("{t:?} is not a whole number ≥ 0"),
                        )),
                    })
                })
                .transpose(),
        );
        let geometry = check(
            &mut e,
            match (f.geometry(), f.text("geometry")) {
                (Some(g), _) => AreaGeometry::from_geojson(g),
                (None, Some(t)) => AreaGeometry::from_text(t),
                (None, None) => Err(DomainError::new("geometry", "is required")),
            },
        );
        let value = (|| {
            Some(Self {
                code: code?,
                name: name?,
                kind: kind?,
                geometry: geometry?,
                population: population?,
            })
        })();
        finish(e, value)
    }

    fn key(&self) -> Option<&str> {
        Some(&self.code)
    }

    fn batch(rows: Vec<Self>) -> Batch {
        Batch::Areas(rows)
    }
}
