//! JSON bodies of entity reads, rendered once per view.
//!
//! The entity service hands out the same shared view of an entity, or page
//! of a list, until something changes or its cached copy is refreshed
//! ([`EntityService::get_shared`](studiobrain_entity::EntityService::get_shared),
//! [`EntityService::list_shared`](studiobrain_entity::EntityService::list_shared)).
//! A body rendered from a view is kept with that view and served again
//! while the service still hands out the very same one, so a popular
//! entity or page is converted and serialised once instead of on every
//! request.

use actix_web::web::Bytes;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use studiobrain_entity::ports::EntityQuery;
use studiobrain_entity::{EntityId, EntityType, EntityView};
use studiobrain_kernel::TenantId;

/// Bodies of single entities, by tenant, type and id.
pub type RenderedEntities = RenderedBodies<(TenantId, EntityType, EntityId), EntityView>;

/// Bodies of list pages, by tenant and query.
pub type RenderedPages = RenderedBodies<(TenantId, EntityQuery), (u64, Vec<EntityView>)>;

/// Most single-entity bodies kept (a few KB each).
const ENTITY_BODIES: usize = 4_096;

/// Most list-page bodies kept (up to a few hundred KB each).
const PAGE_BODIES: usize = 128;

/// The rendered bodies of entity reads.
#[derive(Debug)]
pub struct RenderedReads {
    /// Single entities.
    pub entities: RenderedEntities,
    /// List pages.
    pub pages: RenderedPages,
}

impl Default for RenderedReads {
    fn default() -> Self {
        Self {
            entities: RenderedBodies::new(ENTITY_BODIES),
            pages: RenderedBodies::new(PAGE_BODIES),
        }
    }
}

/// Rendered bodies by key, each with the view it was rendered from.
#[derive(Debug)]
pub struct RenderedBodies<K, V> {
    bodies: Mutex<HashMap<K, (Arc<V>, Bytes)>>,
    /// Most bodies kept; the cache is emptied when full.
    capacity: usize,
}

impl<K: Hash + Eq, V> RenderedBodies<K, V> {
    /// An empty cache of at most `capacity` bodies.
    pub fn new(capacity: usize) -> Self {
        Self {
            bodies: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The body of `view` under `key`: the one rendered before from this
    /// very view, else `render(view)`, kept for the next request.
    ///
    /// # Errors
    /// `render` fails.
    pub fn body<E>(
        &self,
        key: K,
        view: &Arc<V>,
        render: impl FnOnce(&V) -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        if let Some((rendered_from, body)) = self.lock().get(&key)
            && Arc::ptr_eq(rendered_from, view)
        {
            return Ok(body.clone());
        }
        let body = render(view)?;
        let mut bodies = self.lock();
        if bodies.len() >= self.capacity {
            bodies.clear();
        }
        bodies.insert(key, (view.clone(), body.clone()));
        Ok(body)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Arc<V>, Bytes)>> {
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

    fn key(view: &EntityView) -> (TenantId, EntityType, EntityId) {
        (
            TenantId::local(),
            view.entity.entity_type.clone(),
            view.entity.id.clone(),
        )
    }

    fn render_count(cache: &RenderedEntities, view: &Arc<EntityView>, renders: &mut u32) -> Bytes {
        cache
            .body(key(view), view, |v| {
                *renders += 1;
                Ok::<_, ()>(Bytes::from(format!("{}#{renders}", v.entity.id)))
            })
            .expect("render")
    }

    #[test]
    fn a_view_is_rendered_once_and_a_new_view_again() {
        let cache = RenderedEntities::new(16);
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
    fn keys_never_share_a_body_and_a_full_cache_starts_over() {
        let cache = RenderedEntities::new(2);
        let shared = view("aria");
        let other = TenantId::parse("t2").expect("tenant");
        let (_, entity_type, id) = key(&shared);
        let render = |text: &'static str| move |_: &EntityView| Ok::<_, ()>(Bytes::from(text));
        let local = cache.body(key(&shared), &shared, render("local"));
        let theirs = cache.body((other.clone(), entity_type, id), &shared, render("other"));
        assert_eq!((local, theirs), (Ok("local".into()), Ok("other".into())));
        // A third body empties the cache: the first is rendered again.
        let bren = view("bren");
        assert_eq!(
            cache.body(key(&bren), &bren, render("bren")),
            Ok("bren".into())
        );
        assert_eq!(
            cache.body(key(&shared), &shared, render("again")),
            Ok("again".into())
        );
    }
}
