//! [`MemoryActivityLog`]: the activity log in memory.

use async_trait::async_trait;
use std::sync::Mutex;
use studiobrain_entity::EntityResult;
use studiobrain_kernel::TenantId;
use studiobrain_sync::activity::{
    ActivityEntry, ActivityLog, ActivityPage, ActivityQuery, matches,
};

/// Activity entries in memory, oldest first.
#[derive(Debug, Default)]
pub struct MemoryActivityLog {
    entries: Mutex<Vec<ActivityEntry>>,
}

impl MemoryActivityLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl ActivityLog for MemoryActivityLog {
    async fn append(&self, entries: &[ActivityEntry]) -> EntityResult<()> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(entries);
        Ok(())
    }

    async fn history(
        &self,
        tenant: &TenantId,
        query: &ActivityQuery,
    ) -> EntityResult<ActivityPage> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let matching: Vec<&ActivityEntry> = entries
            .iter()
            .rev()
            .filter(|e| e.tenant_id == *tenant && matches(e, query))
            .collect();
        Ok(ActivityPage {
            total: matching.len() as u64,
            entries: matching
                .into_iter()
                .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
                .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
                .cloned()
                .collect(),
        })
    }
}
