/**
 * The SQL patchgraph runs against SUSDB, one query per row set of the WSUS snapshot envelope
 * (`connectors/wsus/envelope.schema.json`). Two programs run these exact texts:
 *
 * - the collector on the WSUS server (`connectors/wsus/collector/Invoke-PatchgraphWsusCollector.ps1`, which embeds
 *   them as here-strings; a test keeps the copies identical), because Windows Internal Database only answers local
 *   named pipes;
 * - patchgraph itself, through `mssql`, where SUSDB sits on a full SQL Server that accepts TCP.
 *
 * Rules every query follows, so that both readers produce the same rows:
 *
 * - Only `PUBLIC_VIEWS`: the read-only views Microsoft supports and grants through the `PublicViewAccess` role.
 *   Never the `dbo.tb*` tables, whose shape changes between WSUS versions.
 * - Column aliases are the envelope's property names, so a row can go into the envelope as it is.
 * - Ids come out as text through `CONVERT(varchar(36), …)`: uniqueidentifier columns as upper-case GUIDs,
 *   `ComputerTargetId` (an nvarchar holding the client's SusClientId) as stored, usually lower-case. Compare ids
 *   case-insensitively.
 * - Datetimes come out as SQL datetimes; SUSDB keeps them in UTC without an offset, and "never" is NULL or
 *   1753-01-01. The collector writes them as ISO strings without an offset; `mssql` needs `useUTC: true`.
 * - Each query ends in an `ORDER BY` on ids that are unique for its rows, and has no trailing semicolon, so a
 *   reader can append `OFFSET … ROWS FETCH NEXT … ROWS ONLY` to page through it deterministically.
 * - T-SQL for SQL Server 2012 and later, which includes every Windows Internal Database WSUS runs on.
 */

/** `PUBLIC_VIEWS.vComputerTarget`: one row per computer registered with the server. */
export const COMPUTER_TARGETS = `SELECT
    CONVERT(varchar(36), ct.ComputerTargetId) AS ComputerTargetId,
    ct.Name AS Name,
    ct.IPAddress AS IPAddress,
    ct.LastSyncResult AS LastSyncResult,
    ct.LastSyncTime AS LastSyncTime,
    ct.LastReportedStatusTime AS LastReportedStatusTime,
    ct.ClientVersion AS ClientVersion,
    ct.OSArchitecture AS OSArchitecture,
    ct.Make AS Make,
    ct.Model AS Model,
    ct.BiosName AS BiosName,
    ct.BiosVersion AS BiosVersion,
    ct.OSMajorVersion AS OSMajorVersion,
    ct.OSMinorVersion AS OSMinorVersion,
    ct.OSBuildNumber AS OSBuildNumber,
    ct.OSServicePackMajorNumber AS OSServicePackMajorNumber,
    ct.OSDefaultUILanguage AS OSDefaultUILanguage
FROM PUBLIC_VIEWS.vComputerTarget AS ct
ORDER BY ct.ComputerTargetId`;

/** `PUBLIC_VIEWS.vComputerTargetGroup`: the target groups, with their parent ("All Computers" has none). */
export const TARGET_GROUPS = `SELECT
    CONVERT(varchar(36), g.ComputerTargetGroupId) AS ComputerTargetGroupId,
    CONVERT(varchar(36), g.ParentTargetGroupId) AS ParentTargetGroupId,
    g.Name AS Name
FROM PUBLIC_VIEWS.vComputerTargetGroup AS g
ORDER BY g.ComputerTargetGroupId`;

/** `PUBLIC_VIEWS.vComputerGroupMembership`: which computer is in which group, and whether it was put there explicitly. */
export const GROUP_MEMBERSHIPS = `SELECT
    CONVERT(varchar(36), m.ComputerTargetId) AS ComputerTargetId,
    CONVERT(varchar(36), m.ComputerTargetGroupId) AS ComputerTargetGroupId,
    m.IsExplicitMember AS IsExplicitMember
FROM PUBLIC_VIEWS.vComputerGroupMembership AS m
ORDER BY m.ComputerTargetId, m.ComputerTargetGroupId`;

/**
 * `PUBLIC_VIEWS.vUpdate`: every update the server knows, declined ones included, with the classification's
 * title from `vClassification`. `ProductTitles` is an array, which SQL cannot return: {@link UPDATE_PRODUCTS}
 * gives its rows, and each reader folds them into the update they belong to.
 */
export const UPDATES = `SELECT
    CONVERT(varchar(36), u.UpdateId) AS UpdateId,
    u.RevisionNumber AS RevisionNumber,
    u.DefaultTitle AS DefaultTitle,
    u.KnowledgebaseArticle AS KnowledgebaseArticle,
    u.SecurityBulletin AS SecurityBulletin,
    u.MsrcSeverity AS MsrcSeverity,
    u.CreationDate AS CreationDate,
    u.ArrivalDate AS ArrivalDate,
    u.IsDeclined AS IsDeclined,
    c.DefaultTitle AS ClassificationTitle
FROM PUBLIC_VIEWS.vUpdate AS u
LEFT JOIN PUBLIC_VIEWS.vClassification AS c ON c.ClassificationId = u.ClassificationId
ORDER BY u.UpdateId, u.RevisionNumber`;

/**
 * (UpdateId, ProductTitle) pairs from `vUpdateInCategory` and `vCategory`, products only: the rows of each
 * update's `ProductTitles`. Not a row set of its own. DISTINCT because an update may reach the same product title
 * through more than one category row.
 */
export const UPDATE_PRODUCTS = `SELECT DISTINCT
    CONVERT(varchar(36), uic.UpdateId) AS UpdateId,
    c.DefaultTitle AS ProductTitle
FROM PUBLIC_VIEWS.vUpdateInCategory AS uic
INNER JOIN PUBLIC_VIEWS.vCategory AS c ON c.CategoryId = uic.CategoryId
WHERE c.CategoryType = N'Product'
ORDER BY UpdateId, ProductTitle`;

/**
 * `PUBLIC_VIEWS.vUpdateInstallationInfoBasic`: each computer's state for each update, in the envelope's triple
 * order (ComputerTargetId, UpdateId, State). Never `vUpdateInstallationInfo`, which cross-joins every computer
 * with every deployable update.
 *
 * State 1 (not applicable) is left out: it is most of the view and says nothing a missing row doesn't. A
 * parameterised form, `WHERE (@IncludeNotApplicable = 1 OR i.State <> 1)`, would drop the filter on request; the
 * texts stay parameterless instead (see {@link INSTALLATIONS_INCLUDING_NOT_APPLICABLE}), so that the collector
 * and `mssql` run literally the same SQL.
 */
export const INSTALLATIONS = `SELECT
    CONVERT(varchar(36), i.ComputerTargetId) AS ComputerTargetId,
    CONVERT(varchar(36), i.UpdateId) AS UpdateId,
    i.State AS State
FROM PUBLIC_VIEWS.vUpdateInstallationInfoBasic AS i
WHERE i.State <> 1
ORDER BY i.ComputerTargetId, i.UpdateId`;

/** {@link INSTALLATIONS} with the not-applicable rows kept (the collector's `-IncludeNotApplicable`). */
export const INSTALLATIONS_INCLUDING_NOT_APPLICABLE = `SELECT
    CONVERT(varchar(36), i.ComputerTargetId) AS ComputerTargetId,
    CONVERT(varchar(36), i.UpdateId) AS UpdateId,
    i.State AS State
FROM PUBLIC_VIEWS.vUpdateInstallationInfoBasic AS i
ORDER BY i.ComputerTargetId, i.UpdateId`;

/**
 * `PUBLIC_VIEWS.vUpdateApproval`: approvals of updates for target groups. Who approved is known to the admin API
 * (IUpdateApproval.AdministratorName) but no public view is documented to carry it, and naming a column a view
 * lacks would fail the whole query. So `AdministratorName` is a typed NULL: the row set keeps its shape, and a
 * source that can read the name can fill it later.
 */
export const APPROVALS = `SELECT
    CONVERT(varchar(36), a.UpdateApprovalId) AS UpdateApprovalId,
    CONVERT(varchar(36), a.UpdateId) AS UpdateId,
    CONVERT(varchar(36), a.ComputerTargetGroupId) AS ComputerTargetGroupId,
    a.Action AS Action,
    a.CreationDate AS CreationDate,
    CAST(NULL AS nvarchar(255)) AS AdministratorName
FROM PUBLIC_VIEWS.vUpdateApproval AS a
ORDER BY a.UpdateApprovalId`;

/**
 * The query behind each row set of the envelope, in the envelope's order. `updates` also needs
 * {@link UPDATE_PRODUCTS}; `installations` is {@link INSTALLATIONS_INCLUDING_NOT_APPLICABLE} when State 1 rows
 * are wanted.
 */
export const ROW_SETS = {
  computerTargets: COMPUTER_TARGETS,
  targetGroups: TARGET_GROUPS,
  groupMemberships: GROUP_MEMBERSHIPS,
  updates: UPDATES,
  installations: INSTALLATIONS,
  approvals: APPROVALS,
} as const;

export type RowSetName = keyof typeof ROW_SETS;
