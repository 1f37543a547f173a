//! JSON bodies of single-entity reads, rendered once per view.
//!
//! The entity service hands out the same shared view until the entity
//! changes or its cached copy is refreshed
//! ([`EntityService::get_shared`](studiobrain_entity::EntityService::get_shared)).
//! A body rendered from a view is kept with that view and served again
//! while the service still hands out the very same one, so a popular
//! entity is converted and serialised once instead of on every request.

use actix_web::web::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use studiobrain_entity::{EntityId, EntityType, EntityView};
use studiobrain_kernel::TenantId;

/// Most bodies kept; the cache is emptied when full.
const MAX_BODIES: usize = 4_096;

/// One entity of one tenant.
type Key = (TenantId, EntityType, EntityId);

/// Rendered bodies, each with the view it was rendered from.
#[derive(Debug, Default)]
pub struct RenderedEntities {
    bodies: Mutex<HashMap<Key, (Arc<EntityView>, Bytes)>>,
}

impl RenderedEntities {
    /// The body of `view` for `tenant`: the one rendered before from this
    /// very view, else `render(view)`, kept for the next request.
    ///
    /// # Errors
    /// `render` fails.
    pub fn body<E>(
        &self,
        tenant: &TenantId,
        view: &Arc<EntityView>,
        render: impl FnOnce(&EntityView) -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        let key = (
            tenant.clone(),
            view.entity.entity_type.clone(),
            view.entity.id.clone(),
        );
        if let Some((rendered_from, body)) = self.lock().get(&key)
            && Arc::ptr_eq(rendered_from, view)
        {
            return Ok(body.clone());
        }
        let body = render(view)?;
        let mut bodies = self.lock();
        if bodies.len() >= MAX_BODIES {
            bodies.clear();
        }
        bodies.insert(key, (view.clone(), body.clone()));
        Ok(body)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (Arc<EntityView>, Bytes)>> {
        self.bodies.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use studiobrain_entity::Entity;

    fn view(id: &str) -> Arc<EntityView> {
        let now = Utc::now();
        Arc::new(EntityView {
            entity: Entity {
                entity_type: EntityType::parse("character").expect("type"),
                id: EntityId::parse(id).expect("id"),
                name: id.to_owned(),
                status: String::new(),
                fields: serde_json::Map::new(),
                body: String::new(),
                path: format!("Characters/{id}/CH_{id}.md"),
                content_hash: String::new(),
                revision: 1,
                created_at: now,
                updated_at: now,
                parse_error: None,
                links: Vec::new(),
            },
            validation_errors: Vec::new(),
            is_valid: true,
        })
    }

    fn render_count(cache: &RenderedEntities, view: &Arc<EntityView>, renders: &mut u32) -> Bytes {
        cache
            .body(&TenantId::local(), view, |v| {
                *renders += 1;
                Ok::<_, ()>(Bytes::from(format!("{}#{renders}", v.entity.id)))
            })
            .expect("render")
    }

    #[test]
    fn a_view_is_rendered_once_and_a_new_view_again() {
        let cache = RenderedEntities::default();
        let mut renders = 0;
        let first = view("aria");
        assert_eq!(render_count(&cache, &first, &mut renders), "aria#1");
        assert_eq!(render_count(&cache, &first, &mut renders), "aria#1");
        // An equal but new view (a refresh, a change) is rendered anew.
        let second = view("aria");
        assert_eq!(render_count(&cache, &second, &mut renders), "aria#2");
        assert_eq!(render_count(&cache, &view("bren"), &mut renders), "bren#3");
        assert_eq!(render_count(&cache, &second, &mut renders), "aria#2");
    }

    #[test]
    fn tenants_never_share_a_body() {
        let cache = RenderedEntities::default();
        let shared = view("aria");
        let other = TenantId::parse("t2").expect("tenant");
        cache
            .body(&TenantId::local(), &shared, |_| {
                Ok::<_, ()>(Bytes::from("local"))
            })
            .expect("render");
        let body = cache
            .body(&other, &shared, |_| Ok::<_, ()>(Bytes::from("other")))
            .expect("render");
        assert_eq!(body, "other");
    }
}
