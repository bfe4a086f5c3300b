//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "diemnong", description = "Hotspot analysis for crime-prevention committees. Point layers need a viewer token, writes an editor token, token management an admin token; areas, the catalogue and health are public."),
    paths(
        super::health, super::landing, super::extent::get_extent,
        super::features::list_incidents, super::features::post_incidents,
        super::features::list_cameras, super::features::post_cameras,
        super::features::list_models, super::features::post_models,
        super::areas::list_areas, super::features::post_areas, super::areas::get_area,
        super::areas::get_programme_areas,
        super::areas::get_history, super::areas::get_kpis, super::areas::post_designation,
        super::areas::patch_designation, super::areas::post_transition, super::report::get_report,
        super::analysis::get_density, super::analysis::get_kde, super::analysis::get_clusters, super::analysis::get_hotspots, super::analysis::get_zones, super::analysis::get_emerging, super::analysis::get_outliers,
        super::catalogue::get_catalogue, super::catalogue::put_entry, super::catalogue::put_harm_weight, super::catalogue::delete_harm_weight,
        super::tokens::create, super::tokens::list, super::tokens::revoke,
        super::session::sign_in, super::session::current, super::session::sign_out,
        document,
    ),
    components(schemas(super::error::Problem, crate::ingest::RowError, crate::ingest::Place,
        crate::domain::ProgrammeStatus, crate::domain::Targets, crate::domain::ProgrammeEvent,
        crate::domain::Designation, crate::store::CatalogueKind),
        // The problem responses, declared once in `error::responses`: operations refer to
        // them as `(status = 404, response = super::error::responses::NotFound)`.
        responses(super::error::responses::BadRequest, super::error::responses::Unauthorized,
            super::error::responses::Forbidden, super::error::responses::NotFound,
            super::error::responses::Conflict, super::error::responses::PayloadTooLarge,
            super::error::responses::UnsupportedMediaType,
            super::error::responses::UnprocessableEntity)),
    modifiers(&Bearer),
    tags((name = "layers", description = "Incidents, cameras, self-managed models and areas as GeoJSON"),
         (name = "analysis", description = "Aggregated results: density and Gi* hotspots on H3 cells"),
         (name = "programme", description = "The conversion programme of complex areas: designations, status workflow, history, KPIs against targets, the yearly report"),
         (name = "catalogue"), (name = "tokens"),
         (name = "session", description = "Sign-in for the map page: the token as an HttpOnly, SameSite=Strict cookie"),
         (name = "service"))
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service",
    responses((status = 200, description = "This document", body = Object)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The OpenAPI document.
pub fn router() -> axum::Router<super::AppState> {
    axum::Router::new().route("/openapi.json", axum::routing::get(document))
}
