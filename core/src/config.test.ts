import { loadConfig } from './config';

const base = { DATABASE_URL: 'postgres://app@db/vigie', JWT_SECRET: 'x'.repeat(32) };

describe('loadConfig', () => {
  it('treats empty variables as unset, as docker compose writes them', () => {
    const config = loadConfig({ ...base, S3_ENDPOINT: '', TEMPORAL_UI_URL: '', STRIPE_SECRET_KEY: '', PORT: '' });
    expect(config).toMatchObject({ PORT: 3000 });
    expect(config.S3_ENDPOINT).toBeUndefined();
    expect(config.TEMPORAL_UI_URL).toBeUndefined();
    expect(config.STRIPE_SECRET_KEY).toBeUndefined();
  });
  it('refuses a Stripe key without its webhook secret, and names every bad variable', () => {
    expect(() => loadConfig({ ...base, STRIPE_SECRET_KEY: 'sk_live_x' })).toThrow('STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set');
    expect(() => loadConfig({ ...base, TEMPORAL_UI_URL: 'not a url', JWT_SECRET: 'short' })).toThrow(/TEMPORAL_UI_URL[\s\S]*JWT_SECRET|JWT_SECRET[\s\S]*TEMPORAL_UI_URL/);
  });
});
