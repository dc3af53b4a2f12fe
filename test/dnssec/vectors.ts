/** Test vectors from /work/shared/design/DNSSEC.md §4 (produced with openssl, BIND and ldns tools). */
export const VECTOR_ZONE = 'gslb.example.com';
export const VECTOR_KEY_PEM = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEINNaQDhjmjPjswlJL2xBtlEey7E5ZGMehL6jf4ohgtjGoAoGCCqGSM49
AwEHoUQDQgAESvA0M3qH2WXjcI48q/Lg3Hn2oCI0mxBYQkx3fZJf3kQFGyH/LFaH
uc8d+0i3YW7K5Syzhcf8K8xw0K8ByGX+NQ==
-----END EC PRIVATE KEY-----
`;
export const VECTOR_DS = 'gslb.example.com. IN DS 40380 13 2 A0BAD0919730B30B60A6E9212FAA0831ADF867207C2AC2C8A7DB8860068B42D2';
