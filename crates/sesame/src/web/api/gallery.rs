//! `/api/v1/gallery`: the application gallery.

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery};
use super::model::{GalleryItem, GalleryQuery};
use crate::admin::Permission;
use crate::gallery::{self, Template};
use crate::web::state::AppState;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_gallery))
        .routes(routes!(get_gallery))
}

fn item(t: &Template) -> GalleryItem {
    GalleryItem {
        id: t.id.clone(),
        name: t.name.clone(),
        publisher: t.publisher.clone(),
        description: t.description.clone(),
        categories: t.categories.clone(),
        single_instance: t.single_instance,
        metadata_upload: t.metadata_upload,
    }
}

/// A gallery application with everything its template fixes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GalleryDetail {
    /// The summary.
    #[serde(flatten)]
    pub item: GalleryItem,
    /// The product's home page.
    pub homepage: String,
    /// The SSO document the values come from.
    pub source: String,
    /// "Configure <app> SSO": the vendor's steps, one a line.
    pub instructions: String,
    /// The logo (SVG).
    pub logo_svg: String,
    /// The whole template (gallery/README.md describes its fields).
    #[schema(value_type = Object)]
    pub template: serde_json::Value,
}

/// Browse the gallery, with search and category filter.
#[utoipa::path(get, path = "/api/v1/gallery", tag = "gallery", params(GalleryQuery),
    responses((status = 200, description = "Gallery applications by name", body = Vec<GalleryItem>)))]
async fn list_gallery(
    caller: Caller,
    ApiQuery(q): ApiQuery<GalleryQuery>,
) -> ApiResult<Json<Vec<GalleryItem>>> {
    caller.require(Permission::ManageApps)?;
    let search = q.search.unwrap_or_default();
    let category = q.category.unwrap_or_default().trim().to_lowercase();
    let mut out: Vec<GalleryItem> = gallery::search(&search)
        .filter(|t| {
            category.is_empty() || t.categories.iter().any(|c| c.to_lowercase() == category)
        })
        .map(item)
        .collect();
    out.sort_by_key(|a| a.name.to_lowercase());
    Ok(Json(out))
}

/// One gallery application (the app card).
#[utoipa::path(get, path = "/api/v1/gallery/{id}", tag = "gallery",
    params(("id" = String, Path, description = "Template id, e.g. convene")),
    responses((status = 200, description = "The gallery application", body = GalleryDetail)))]
async fn get_gallery(
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<GalleryDetail>> {
    caller.require(Permission::ManageApps)?;
    let t = gallery::template(id.trim()).ok_or_else(|| {
        ApiError::not_found(format!(
            "the gallery has no application {id}; GET /api/v1/gallery lists them"
        ))
    })?;
    Ok(Json(GalleryDetail {
        item: item(t),
        homepage: t.homepage.clone(),
        source: t.source.clone(),
        instructions: t.instructions.clone(),
        logo_svg: t.logo_svg.clone(),
        template: serde_json::to_value(t).unwrap_or_default(),
    }))
}
