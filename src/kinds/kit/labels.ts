/** Kubernetes label syntax: what the apiserver accepts as a label key or value (apimachinery validation). */

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a valid Kubernetes label key, or undefined when it is. */
export function checkKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `label key prefix "${prefix}" must be a DNS subdomain such as example.com`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `label key "${key}" is invalid: the name part must be 1-63 letters, digits, "-", "_" or ".", starting and ending alphanumeric`;
  }
  return undefined;
}

/** Why `value` is not a valid Kubernetes label value, or undefined when it is. */
export function checkValue(value: string): string | undefined {
  if (value.length > 63 || !VALUE.test(value)) {
    return `label value "${value}" is invalid: at most 63 letters, digits, "-", "_" or ".", starting and ending alphanumeric`;
  }
  return undefined;
}
