DROP TABLE IF EXISTS delivery_attempts;
DROP TABLE IF EXISTS outbox_messages;
DROP TABLE IF EXISTS channels;
