-- name: AddSiteContact :execlastid
-- AddSiteContact adds a contact person to a site and returns its id.
INSERT INTO site_contacts (site_id, name, email, phone, role)
VALUES (?, ?, ?, ?, ?);

-- name: ListSiteContacts :many
-- ListSiteContacts returns a site's contacts, the primary one first, then by id.
SELECT id, name, email, phone, role, is_primary
FROM site_contacts
WHERE site_id = ?
ORDER BY is_primary DESC, id
LIMIT 100;

-- name: SetPrimarySiteContact :execrows
-- SetPrimarySiteContact makes one contact the site's primary contact and clears the flag on the others; it returns how many rows changed.
UPDATE site_contacts
SET is_primary = (id = sqlc.arg(contact_id))
WHERE site_id = sqlc.arg(site_id);
