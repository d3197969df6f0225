/**
 * TLS material for tests: a self-signed certificate (its own CA) and its key, as PEM text.
 */

// A self-signed certificate for 127.0.0.1 / localhost, valid until 2126, made for these tests only
// (openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 ...).
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBpzCCAU2gAwIBAgIUU6LVqx9NWFHpGrCJhjj9XbjsNO4wCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPbW9uaXRvcmluZy10ZXN0MCAXDTI2MTEyNTE4MDIxNVoYDzIx
MjYxMTAxMTgwMjE1WjAaMRgwFgYDVQQDDA9tb25pdG9yaW5nLXRlc3QwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAT6hDWJRtIDVICd1IKg7w2NfkPuP//qCwU3PZKm
nfZGQIbc0DTweFKOnebU7dLYOUFXgq3+ewU1Q7sxSuyI19ipo28wbTAdBgNVHQ4E
FgQUGAwj/El4ptYDK9bRA3ess2J2R3YwHwYDVR0jBBgwFoAUGAwj/El4ptYDK9bR
A3ess2J2R3YwDwYDVR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2Nh
bGhvc3QwCgYIKoZIzj0EAwIDSAAwRQIhAMeviqTNxFb9ww2i//IDkdcJ4Qq0q7jE
lv0I164SKPCDAiBUqoAWjbY+JBTPhvv/ytlxT2uF857m9/ZHvd7SRXphKA==
-----END CERTIFICATE-----
`;
export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3OLFMKl/u2D0yFGO
ED+frk9PhZaXCg4uwutY6tmtEsahRANCAAT6hDWJRtIDVICd1IKg7w2NfkPuP//q
CwU3PZKmnfZGQIbc0DTweFKOnebU7dLYOUFXgq3+ewU1Q7sxSuyI19ip
-----END PRIVATE KEY-----
`;
