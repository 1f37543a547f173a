//! Validation of a whole project: every live entity of every type checked
//! (through the per-revision validation cache), for `validate/all` and the
//! dashboard.

use crate::error::EntityResult;
use crate::ids::EntityType;
use crate::ports::{EntityQuery, SortOrder};
use crate::service::EntityService;
use crate::validate::ValidationIssue;
use studiobrain_kernel::TenantId;

/// Entities read per page while auditing.
const PAGE: u64 = 200;

/// One invalid entity and why.
#[derive(Debug, Clone)]
pub struct InvalidEntity {
    /// Type.
    pub entity_type: EntityType,
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its error-severity findings and warnings.
    pub findings: Vec<ValidationIssue>,
}

/// Counts of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeAudit {
    /// Type.
    pub entity_type: EntityType,
    /// Live entities.
    pub total: u64,
    /// Of which invalid.
    pub invalid: u64,
}

/// The validation state of a project.
#[derive(Debug, Clone, Default)]
pub struct ProjectAudit {
    /// Live entities.
    pub total: u64,
    /// Entities with error-severity findings.
    pub invalid: u64,
    /// Per type, in template order.
    pub by_type: Vec<TypeAudit>,
    /// The invalid entities, by type then id.
    pub invalid_entities: Vec<InvalidEntity>,
}

impl EntityService {
    /// Validates every live entity of the tenant.
    ///
    /// # Errors
    /// The index or the vault fails.
    pub async fn audit(&self, tenant: &TenantId) -> EntityResult<ProjectAudit> {
        let templates = self.templates(tenant).await?;
        let mut audit = ProjectAudit::default();
        for template in templates.templates() {
            let mut counts = TypeAudit {
                entity_type: template.entity_type.clone(),
                total: 0,
                invalid: 0,
            };
            let mut offset = 0;
            loop {
                let query = EntityQuery {
                    entity_type: template.entity_type.clone(),
                    offset,
                    limit: PAGE,
                    search: None,
                    status: None,
                    sort_by: "name".into(),
                    sort_order: SortOrder::Asc,
                };
                let (total, views) = self.list(tenant, query).await?;
                counts.total = total;
                for view in views.iter().filter(|v| !v.is_valid) {
                    counts.invalid += 1;
                    audit.invalid_entities.push(InvalidEntity {
                        entity_type: view.entity.entity_type.clone(),
                        id: view.entity.id.to_string(),
                        name: view.entity.name.clone(),
                        findings: view.validation_errors.clone(),
                    });
                }
                offset += PAGE;
                if offset >= total || views.is_empty() {
                    break;
                }
            }
            audit.total += counts.total;
            audit.invalid += counts.invalid;
            audit.by_type.push(counts);
        }
        Ok(audit)
    }
}
