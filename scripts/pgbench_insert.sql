-- The raw ceiling: one plain one-row INSERT per transaction of a row like an event.
INSERT INTO bench_raw (event_id, stream_id, stream_version, event_type, payload, metadata, recorded_at, content_hash, hash)
VALUES (gen_random_uuid(), 'cheque-' || :client_id || '-' || random(), 1, 'ChequeRedeemed',
 '{"redemption_id":"4b0f3c7e-8f6e-4a47-9b57-0c6c1d3a2f10","serial":"K7Q2M9X4-03-41","carnet_id":"K7Q2M9X4","programme_id":"pgm-63-2026","place_id":"plc-000123","session_date":"2026-03-14","service":"atelier","amount":"10.00","attribution":[{"funder_id":"fdr-state","amount":"5.00"},{"funder_id":"fdr-dep63","amount":"3.00"},{"funder_id":"fdr-caf63","amount":"2.00"}]}',
 '{"actor":"bench"}', now(), sha256('a'), sha256('b'));
