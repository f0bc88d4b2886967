import { uniqueEmail, type Session, type TestApi } from '../support/harness';

/**
 * How to make, in tenant A, an object that each `:id` route can address. Every route with a path
 * parameter must have an entry here (the cross-tenant test fails otherwise): later domains register
 * their routes by adding a fixture, not by copying the test.
 */
export interface CrossTenantFixture {
  /** Express path as registered, e.g. `/users/:id`. */
  path: string;
  /** Creates the object as tenant A's admin; returns the path parameters that address it. */
  create(api: TestApi, owner: Session): Promise<Record<string, string>>;
  /** A body that passes validation, per method, so the answer is about ownership, not input. */
  validBody?: Partial<Record<'post' | 'put' | 'patch' | 'delete', unknown>>;
}

export const crossTenantFixtures: CrossTenantFixture[] = [
  {
    path: '/users/:id',
    async create(api, owner) {
      const res = await api.call('POST', '/api/v1/users', {
        token: owner.token,
        body: { email: uniqueEmail('victim'), name: 'Victim', role: 'technician', password: 'a long victim password' },
      });
      if (res.status !== 201) throw new Error(`fixture /users/:id: ${res.status}`);
      return { id: res.body.id };
    },
    validBody: { patch: { name: 'Hijacked' } },
  },
];
