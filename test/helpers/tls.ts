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

// A second self-signed certificate for 127.0.0.1 / localhost, valid until 2126: the "renewed" one
// of the server's certificate-reload tests (a client trusting only TEST_CERT refuses it).
export const RENEWED_CERT = `-----BEGIN CERTIFICATE-----
MIIBuDCCAV2gAwIBAgIUQDM0mbUHX3/l/PK6BFla/rsE2bkwCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXbW9uaXRvcmluZy10ZXN0LXJlbmV3ZWQwIBcNMjYxMjAxMTY1
MTQyWhgPMjEyNjExMDcxNjUxNDJaMCIxIDAeBgNVBAMMF21vbml0b3JpbmctdGVz
dC1yZW5ld2VkMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGqbBpjrXNdlGMWQL
SLsuWcdqIH31Q1amrT/42udVtDT50fl3lgNcwVJgvcnXFSbd707U4MHLzDdMAnBV
IZ55maNvMG0wHQYDVR0OBBYEFExLgyuD8Z/W9fJQTSClI1U4i3fhMB8GA1UdIwQY
MBaAFExLgyuD8Z/W9fJQTSClI1U4i3fhMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2Fs
aG9zdDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDLXowfUd6z
9Ex/s1Z1KQ7DhO74jWDZI8ij/E/XCgk43AIhANCP2h3TYTUH0Mq/5g0TeqJ5j/qn
qIDtx4KWnmN1G8fM
-----END CERTIFICATE-----
`;
export const RENEWED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgs+jIOlGxfDMuUAiK
nzXfl8YPn2YexCZysOGWSl+eBqmhRANCAAQapsGmOtc12UYxZAtIuy5Zx2ogffVD
VqatP/ja51W0NPnR+XeWA1zBUmC9ydcVJt3vTtTgwcvMN0wCcFUhnnmZ
-----END PRIVATE KEY-----
`;
