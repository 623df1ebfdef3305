/**
 * How restaurants and stations may be named. Free of the ORM, so the CLI can check its arguments
 * (and answer a usage error) without loading the database layer.
 */
export const MAX_RESTAURANT_NAME = 200;
export const MAX_SLUG = 100;
export const MAX_STATION_NAME = 100;

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function isSlug(value: string): boolean {
  return SLUG.test(value) && value.length <= MAX_SLUG;
}

export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG);
}
