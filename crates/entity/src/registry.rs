//! [`TemplateSet`]: the entity types of one project (whatever its templates
//! define, whatever their category). Templates are read
//! layer by layer (Core > Standard > Custom > Packs); the first definition
//! of a type wins. Files that fail to parse are reported, not fatal.

use crate::error::{EntityError, EntityResult};
use crate::ids::EntityType;
use crate::template::{Template, TemplateLayer};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A template file to load.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    /// Layer of the file.
    pub layer: TemplateLayer,
    /// File name, e.g. `CHARACTER_TEMPLATE.md`.
    pub file_name: String,
    /// File text.
    pub text: String,
}

/// The entity types of a project.
#[derive(Debug, Clone, Default)]
pub struct TemplateSet {
    by_type: BTreeMap<EntityType, Arc<Template>>,
    problems: Vec<String>,
}

impl TemplateSet {
    /// Loads `sources`; within a layer, files load in name order.
    pub fn load(mut sources: Vec<TemplateSource>) -> Self {
        sources.sort_by(|a, b| (a.layer, &a.file_name).cmp(&(b.layer, &b.file_name)));
        let mut set = Self::default();
        for source in sources {
            match Template::parse(&source.file_name, &source.text, source.layer) {
                Ok(template) => {
                    set.by_type
                        .entry(template.entity_type.clone())
                        .or_insert_with(|| Arc::new(template));
                }
                Err(err) => set.problems.push(format!(
                    "{}/{}: {err}",
                    source.layer.folder(),
                    source.file_name
                )),
            }
        }
        set
    }

    /// The template of `entity_type`.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown or malformed type.
    pub fn require(&self, entity_type: &str) -> EntityResult<Arc<Template>> {
        EntityType::parse(entity_type)
            .ok()
            .and_then(|t| self.by_type.get(&t).cloned())
            .ok_or_else(|| EntityError::NotFound(format!("unknown entity type: {entity_type}")))
    }

    /// Every template, by type name.
    pub fn templates(&self) -> impl Iterator<Item = &Arc<Template>> {
        self.by_type.values()
    }

    /// Files that could not be loaded, with the reason.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// Number of entity types.
    pub fn len(&self) -> usize {
        self.by_type.len()
    }

    /// Whether no type is defined.
    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(layer: TemplateLayer, folder: &str) -> TemplateSource {
        TemplateSource {
            layer,
            file_name: "CHARACTER_TEMPLATE.md".into(),
            text: format!("---\nentity_type: character\nfolder_name: {folder}\n---\n"),
        }
    }

    #[test]
    fn the_first_layer_wins_and_problems_are_kept() {
        let set = TemplateSet::load(vec![
            source(TemplateLayer::Packs, "PackPeople"),
            source(TemplateLayer::Standard, "Characters"),
            TemplateSource {
                layer: TemplateLayer::Custom,
                file_name: "BAD_TEMPLATE.md".into(),
                text: "---\n: :\n---\n".into(),
            },
        ]);
        assert_eq!(
            set.require("character").expect("known").folder_name,
            "Characters"
        );
        assert_eq!(set.len(), 1);
        assert_eq!(set.problems().len(), 1);
        assert!(set.require("spaceship").is_err());
        assert!(set.require("../x").is_err());
    }
}
