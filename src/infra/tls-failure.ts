/**
 * Whether a socket error is a failed TLS session rather than an unreachable peer: a certificate
 * the trusted CAs did not sign (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `SELF_SIGNED_CERT_IN_CHAIN`),
 * a host name the certificate does not name (`ERR_TLS_CERT_ALTNAME_INVALID`), an expired one, or
 * a TLS client on a plaintext port (`wrong version number`). Such a failure repeats on every try,
 * so the Kafka and schema-registry clients report it with a code of its own instead of retrying.
 */
const TLS_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_SSL|ERR_TLS|certificate|wrong version number/i;

export function isTlsFailure(error: { readonly code?: unknown; readonly message: string }): boolean {
  return TLS_ERROR.test(`${typeof error.code === 'string' ? error.code : ''} ${error.message}`);
}
