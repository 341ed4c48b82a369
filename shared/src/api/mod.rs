//! The JSON bodies of Seltzer's own HTTP API, shared by the server (which produces them) and the
//! frontend (which decodes them), so the two can never disagree on a field name.

mod admin;
mod agents;
mod auth;
mod checks;
mod datasets;
mod error;
mod health;
mod incidents;
mod notifications;
mod outcome;
mod queries;
mod runs;
mod scans;
mod v1;

pub use admin::{
    ATTRIBUTE_TYPES, ApiKeyInfo, ApiKeyRevoked, AttributeDeleted, AttributeInfo, CreatedApiKey,
    NewApiKey, NewAttribute, NewUser, UserCreated, UserDisabled, UserInfo,
};
pub use agents::{
    AgentFinish, AgentHeartbeat, AgentHello, AgentInfo, AgentJob, AgentKey, AgentLogLine,
    AgentLogs, AgentRunState, NewAgent,
};
pub use auth::{LoginRequest, Me, Role, SignedOut};
pub use checks::{
    Attribute, CheckDetail, CheckHistory, CheckList, CheckListItem, CheckResultDetail,
    FLAPPING_FLIPS, HistoryPoint, IdentityRef, OutcomeCounts, ReplacedResult, ValueUnit,
};
pub use datasets::{
    DatasetColumn, DatasetDetail, DatasetHealth, DatasetList, DatasetListItem, DatasetStatus,
    HealthPoint, PublishedContract, SampleFile, Samples, ScanRef,
};
pub use error::{ApiError, ErrorCode};
pub use health::{DatabaseEngine, Health};
pub use incidents::{
    Incident, IncidentChange, IncidentCheckResult, IncidentDetail, IncidentEvent, IncidentLink,
    IncidentLinkBack, IncidentLinks, IncidentList, IncidentSeverity, IncidentStatus, NewIncident,
    NewIncidentComment, V1IncidentContent, V1IncidentUpdate,
};
pub use notifications::{
    Channel, ChannelDeleted, ChannelType, CheckFacts, CheckNotice, Delivery, DeliveryList,
    DeliveryQueued, DeliveryStatus, EmailSettings, IncidentAutomation, IncidentNotice, NewChannel,
    OverdueDataset, OverdueNotice, Rule, RuleDefinition, RuleDeleted, RuleFilter, RuleMode,
    RunFailedNotice, RunLateNotice, ScanNotice, SimulatedNotice, Simulation, SimulationRequest,
    SmtpSecurity,
};
pub use outcome::CheckOutcome;
pub use queries::{
    CheckListQuery, CompareQuery, DatasetListQuery, HistoryQuery, IncidentListQuery, PageQuery,
    RunLogQuery, ScanListQuery, ScanLogQuery, TimeRangeQuery, V1ChecksQuery, V1DatasetsQuery,
    V1PageQuery,
};
pub use runs::{
    Approval, ApprovalRequest, ChangeKind, CheckChange, DataSourceInfo, DryRunCheck, DryRunRequest,
    Engine, NewDataSource, NewScanDefinition, NewSecret, Removed, RunComparison, RunLogLine,
    RunLogs, RunOrigin, RunState, ScanDefinitionInfo, ScanDefinitionVersion, ScanRun, ScanRunList,
    ScanSchedule, SecretInfo, run_scan_id,
};
pub use scans::{
    ScanCheck, ScanDeleted, ScanDetailView, ScanList, ScanListItem, ScanLog, VerifiedContract,
};
pub use v1::{
    V1Check, V1CheckDataset, V1DataSource, V1Dataset, V1Group, V1IncidentRef, V1Page,
    V1ResultValue, V1Scan, V1ScanCheck, V1ScanDefinition, V1ScanLog, V1ScanRequest, V1TestLogin,
};
