// Wireshark 4.0's names for LDAP (RFC 4511) values: protocol operations (by application tag), result
// codes, search scopes and alias dereferencing, modify operations, bind authentication choices,
// filter choices, and the control and extended-operation OIDs it names.

import { oidName } from './x509-names.ts';

export const LDAP_OPS: Readonly<Record<number, string>> = {
  0: 'bindRequest',
  1: 'bindResponse',
  2: 'unbindRequest',
  3: 'searchRequest',
  4: 'searchResEntry',
  5: 'searchResDone',
  6: 'modifyRequest',
  7: 'modifyResponse',
  8: 'addRequest',
  9: 'addResponse',
  10: 'delRequest',
  11: 'delResponse',
  12: 'modDNRequest',
  13: 'modDNResponse',
  14: 'compareRequest',
  15: 'compareResponse',
  16: 'abandonRequest',
  19: 'searchResRef',
  23: 'extendedReq',
  24: 'extendedResp',
  25: 'intermediateResponse',
};

export const LDAP_RESULT_CODES: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'operationsError',
  2: 'protocolError',
  3: 'timeLimitExceeded',
  4: 'sizeLimitExceeded',
  5: 'compareFalse',
  6: 'compareTrue',
  7: 'authMethodNotSupported',
  8: 'strongAuthRequired',
  10: 'referral',
  11: 'adminLimitExceeded',
  12: 'unavailableCriticalExtension',
  13: 'confidentialityRequired',
  14: 'saslBindInProgress',
  16: 'noSuchAttribute',
  17: 'undefinedAttributeType',
  18: 'inappropriateMatching',
  19: 'constraintViolation',
  20: 'attributeOrValueExists',
  21: 'invalidAttributeSyntax',
  32: 'noSuchObject',
  33: 'aliasProblem',
  34: 'invalidDNSyntax',
  36: 'aliasDereferencingProblem',
  48: 'inappropriateAuthentication',
  49: 'invalidCredentials',
  50: 'insufficientAccessRights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
  54: 'loopDetect',
  64: 'namingViolation',
  65: 'objectClassViolation',
  66: 'notAllowedOnNonLeaf',
  67: 'notAllowedOnRDN',
  68: 'entryAlreadyExists',
  69: 'objectClassModsProhibited',
  71: 'affectsMultipleDSAs',
  80: 'other',
  118: 'canceled',
  119: 'noSuchOperation',
  120: 'tooLate',
  121: 'cannotCancel',
};

export const LDAP_SCOPES: Readonly<Record<number, string>> = { 0: 'baseObject', 1: 'singleLevel', 2: 'wholeSubtree' };
export const LDAP_DEREF: Readonly<Record<number, string>> = {
  0: 'neverDerefAliases',
  1: 'derefInSearching',
  2: 'derefFindingBaseObj',
  3: 'derefAlways',
};
export const LDAP_MOD_OPERATIONS: Readonly<Record<number, string>> = { 0: 'add', 1: 'delete', 2: 'replace', 3: 'increment' };
export const LDAP_AUTH_CHOICES: Readonly<Record<number, string>> = { 0: 'simple', 3: 'sasl', 10: 'ntlmsspNegotiate', 11: 'ntlmsspAuth' };
export const LDAP_FILTERS: Readonly<Record<number, string>> = {
  0: 'and',
  1: 'or',
  2: 'not',
  3: 'equalityMatch',
  4: 'substrings',
  5: 'greaterOrEqual',
  6: 'lessOrEqual',
  7: 'present',
  8: 'approxMatch',
  9: 'extensibleMatch',
};

/** OIDs Wireshark 4.0 names in LDAP controls and extended operations (those checked against tshark). */
const LDAP_OID_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113556.1.4.319': 'pagedResultsControl',
  '1.2.840.113556.1.4.801': 'LDAP_SERVER_SD_FLAGS_OID',
  '1.3.6.1.4.1.42.2.27.8.5.1': 'passwordPolicy',
};

/** An OID as Wireshark resolves it: a registered name, else the first arc named. */
export function ldapOidName(oid: string): string {
  return LDAP_OID_NAMES[oid] ?? oidName(oid);
}
