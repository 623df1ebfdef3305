import type { Role } from '../domain/vocabulary.js';

/** Who a verified bearer token speaks for. The restaurant comes from here and nowhere else. */
export interface Viewer {
  id: string;
  name: string | null;
  role: Role;
  restaurantId: string;
  /** Seconds since the epoch, from `exp`. */
  expiresAt: number;
}
