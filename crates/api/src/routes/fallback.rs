//! The answer for requests no route matched: 405 with `Allow` when the path
//! exists for other methods, 404 otherwise; always `{"detail"}`.

use crate::error::ErrorBody;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

/// Path templates (`/api/users/{id}`) with their methods.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<String>)>,
}

impl RouteTable {
    /// Builds the table from the OpenAPI document of the app.
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = item.methods();
                (segments, methods)
            })
            .collect();
        Self { routes }
    }

    /// Methods allowed on `path`, if any route matches it.
    pub fn allowed_methods(&self, path: &str) -> Option<Vec<String>> {
        let wanted: Vec<&str> = path.split('/').collect();
        let matching: Vec<(usize, &Vec<String>)> = self
            .routes
            .iter()
            .filter(|(segments, _)| {
                segments.len() == wanted.len()
                    && segments
                        .iter()
                        .zip(&wanted)
                        .all(|(pattern, actual)| pattern.starts_with('{') || pattern == actual)
            })
            .map(|(segments, methods)| {
                (
                    segments.iter().filter(|s| s.starts_with('{')).count(),
                    methods,
                )
            })
            .collect();
        // `/api/users/current` is its own resource, not `/api/users/{id}`:
        // only the templates with the fewest parameters count.
        let fewest = matching.iter().map(|(params, _)| *params).min()?;
        let mut allowed: Vec<String> = matching
            .into_iter()
            .filter(|(params, _)| *params == fewest)
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        allowed.sort();
        allowed.dedup();
        (!allowed.is_empty()).then_some(allowed)
    }
}

/// Extension of utoipa's path item: the HTTP methods it documents.
trait Methods {
    fn methods(&self) -> Vec<String>;
}

impl Methods for utoipa::openapi::PathItem {
    fn methods(&self) -> Vec<String> {
        [
            ("GET", self.get.is_some()),
            ("PUT", self.put.is_some()),
            ("POST", self.post.is_some()),
            ("DELETE", self.delete.is_some()),
            ("PATCH", self.patch.is_some()),
        ]
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(m, _)| m.to_owned())
        .collect()
    }
}

/// Default service of the app.
pub async fn not_matched(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match state.routes.allowed_methods(req.path()) {
        Some(methods) => HttpResponse::MethodNotAllowed()
            .insert_header(("Allow", methods.join(", ")))
            .json(ErrorBody::new(format!(
                "method {} is not allowed on {}",
                req.method(),
                req.path()
            ))),
        None => {
            HttpResponse::NotFound().json(ErrorBody::new(format!("no route for {}", req.path())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(routes: &[(&str, &[&str])]) -> RouteTable {
        RouteTable {
            routes: routes
                .iter()
                .map(|(path, methods)| {
                    (
                        path.split('/').map(str::to_owned).collect(),
                        methods.iter().map(|m| (*m).to_owned()).collect(),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn literal_routes_win_over_templates() {
        let routes = table(&[
            ("/api/users/current", &["GET"]),
            ("/api/users/{id}", &["GET", "PUT", "DELETE"]),
        ]);
        assert_eq!(
            routes.allowed_methods("/api/users/current"),
            Some(vec!["GET".to_owned()])
        );
        assert_eq!(
            routes.allowed_methods("/api/users/42"),
            Some(vec![
                "DELETE".to_owned(),
                "GET".to_owned(),
                "PUT".to_owned()
            ])
        );
        assert_eq!(routes.allowed_methods("/api/nothing"), None);
    }
}
