import jwt from 'jsonwebtoken';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { BoundedMap } from '../lib/bounded-map.js';
import { ROLES, type Role } from '../domain/vocabulary.js';
import type { Viewer } from './viewer.js';

export interface TokenSettings {
  secret: string;
  issuer?: string;
  audience?: string;
}

/** Only this algorithm is accepted: a token that names another, `none` included, is refused. */
const ALGORITHM = 'HS256';

const claimsSchema = z.object({
  sub: z.string().min(1),
  restaurantId: z.string().uuid(),
  role: z.enum(ROLES),
  exp: z.number(),
  name: z.string().optional(),
});

type Claims = z.infer<typeof claimsSchema>;

/** How many verified tokens are remembered (POS terminals and screens send the same one each time). */
const VERIFIED_TOKENS = 10_000;

export class InvalidTokenError extends Error {}

/** Accepts `Bearer <token>` or a bare token. */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return (match ? match[1]! : header).trim() || null;
}

export class TokenService {
  /**
   * The secret as a key object, made once: given a string, jsonwebtoken first tries to read it as
   * a PEM public key on every verify (and throws, and only then makes a secret key of it).
   */
  private readonly key: KeyObject;

  constructor(
    private readonly settings: TokenSettings,
    private readonly restaurantExists: (id: string) => Promise<boolean>,
  ) {
    this.key = createSecretKey(Buffer.from(settings.secret));
  }

  /**
   * The claims of tokens whose signature and claims were checked, by the token's exact text: the
   * same text always checks the same, but for its expiry, which is checked on every use.
   */
  private readonly verified = new BoundedMap<string, Claims>(VERIFIED_TOKENS);

  /** Signature, algorithm, expiry, issuer and audience, claims, and a restaurant that exists. */
  async verify(token: string): Promise<Viewer> {
    let claims = this.verified.get(token);
    // jsonwebtoken's rule: expired from the second `exp` on.
    if (!claims || claims.exp <= Math.floor(Date.now() / 1000)) claims = this.check(token);
    const { sub, restaurantId, role, exp, name } = claims;
    if (!(await this.restaurantExists(restaurantId))) throw new InvalidTokenError('Unknown restaurant');
    return { id: sub, restaurantId, role, name: name ?? null, expiresAt: exp };
  }

  private check(token: string): Claims {
    this.verified.delete(token);
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
      });
    } catch (error) {
      throw new InvalidTokenError(error instanceof jwt.TokenExpiredError ? 'Token expired' : 'Invalid token');
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new InvalidTokenError('Invalid token claims');
    this.verified.remember(token, claims.data);
    return claims.data;
  }

  sign(claims: { sub: string; restaurantId: string; role: Role; name?: string }, ttlSeconds: number): string {
    return jwt.sign(claims, this.settings.secret, {
      algorithm: ALGORITHM,
      expiresIn: ttlSeconds,
      ...(this.settings.issuer ? { issuer: this.settings.issuer } : {}),
      ...(this.settings.audience ? { audience: this.settings.audience } : {}),
    });
  }
}

/** `90s`, `15m`, `12h`, `7d`, or plain seconds. */
export function parseTtl(value: string): number {
  const match = /^(-?)(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new Error(`"${value}" is not a duration like 90s, 15m, 12h or 7d`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[3] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[2]) * unit;
  if (match[1] || seconds < 1) throw new Error(`the TTL must be positive (at least one second), not "${value.trim()}"`);
  return seconds;
}
