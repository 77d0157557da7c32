-- The claims engine (issue 4).
--
-- Group claims of an application: which groups ('all' transitively, or only those
-- 'assigned' to the app), written as object ids ('id') or names ('name'), under
-- claim_name. No row: group claims are off.
CREATE TABLE app_group_claims (
    app_id TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
    scope TEXT NOT NULL CHECK (scope IN ('all', 'assigned')),
    emit TEXT NOT NULL CHECK (emit IN ('id', 'name')),
    claim_name TEXT NOT NULL
);

-- Every application has explicit claim rows from now on (app_claims.source holds the
-- canonical expression, name_format is 'unspecified' | 'uri' | 'basic'). Applications
-- created before this migration sent the four default claims without rows: give them
-- the same four rows, so they keep sending exactly what they sent. New applications get
-- them when created; an application without rows sends no claims.
INSERT INTO app_claims (app_id, name, namespace, name_format, source_kind, source, position)
SELECT a.id, d.name, 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims', 'unspecified',
       'attribute', d.source, d.position
FROM apps a CROSS JOIN (
    SELECT 'givenname' AS name, 'user.givenname' AS source, 0 AS position
    UNION ALL SELECT 'surname', 'user.surname', 1
    UNION ALL SELECT 'emailaddress', 'user.mail', 2
    UNION ALL SELECT 'name', 'user.userprincipalname', 3
) d
WHERE NOT EXISTS (SELECT 1 FROM app_claims c WHERE c.app_id = a.id);
