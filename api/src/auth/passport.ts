import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { Strategy as LocalStrategy } from 'passport-local';
import { withTenant, usersRepo, type UserRow } from '@vigie/db';
import type { AppDeps } from '../deps';
import type { Actor } from '../http/route';
import { ACCESS_TOKEN_ALGORITHM, type AccessClaims } from './tokens';
import { burnPasswordCheck, verifyPassword } from './passwords';

/** What the local strategy hands to the login route: the user it verified. */
export type LoggedInUser = UserRow;

/**
 * Two strategies: `local` checks e-mail + password once at login; `jwt` checks every request's bearer
 * token (HS256 only, issuer, audience, expiry) and that the user still exists and is enabled.
 */
export function createPassport(deps: AppDeps): passport.PassportStatic {
  const instance = new passport.Passport() as unknown as passport.PassportStatic;
  const { config, db } = deps;

  instance.use(
    'local',
    new LocalStrategy({ usernameField: 'email', passwordField: 'password', session: false }, (email, password, done) => {
      (async () => {
        const target = await usersRepo.findLoginTarget(db, email);
        if (!target) {
          await burnPasswordCheck(password);
          return done(null, false);
        }
        const user = await withTenant(db, target.tenantId, (tx) => usersRepo.findUserById(tx, target.userId));
        if (!user || user.disabled || !(await verifyPassword(user.password_hash, password))) return done(null, false);
        return done(null, user);
      })().catch(done);
    }),
  );

  instance.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKey: config.JWT_SECRET,
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
      },
      (claims: AccessClaims, done: (err: unknown, user?: Actor | false) => void) => {
        withTenant(db, claims.tid, (tx) => usersRepo.findUserById(tx, claims.sub))
          .then((user) => {
            if (!user || user.disabled) return done(null, false);
            done(null, { userId: user.id, tenantId: user.tenant_id, role: user.role, name: user.name, clientId: user.client_id });
          })
          .catch(done);
      },
    ),
  );
  return instance;
}
