import { createApp } from 'vue';
import { createPinia } from 'pinia';
import { Dark, Dialog, Notify, Quasar } from 'quasar';
import quasarFr from 'quasar/lang/fr';
// Fonts and icons are bundled from @quasar/extras: no CDN (the CSP allows 'self' only, and offline installs).
import '@quasar/extras/roboto-font/roboto-font.css';
import '@quasar/extras/material-icons/material-icons.css';
import 'quasar/src/css/index.sass';
import './styles/app.css';

import App from './App.vue';
import { session } from './api/session';
import { i18n } from './i18n';
import { router } from './router';

const app = createApp(App);
app.use(Quasar, {
  plugins: { Dark, Dialog, Notify },
  lang: quasarFr,
  // No `brand` here: the primary colour is the tenant's, set on <html> by the settings store.
  config: { notify: { position: 'bottom', timeout: 4000 } },
});
app.use(createPinia());
app.use(i18n);
app.use(router);

// A session that ends by itself (refused refresh, logout in another tab) brings the user to the login page;
// the login page says why (auth store's endReason).
session.subscribe((event) => {
  if (event.type === 'tokens') return;
  const current = router.currentRoute.value;
  // During the first navigation the guard itself sends the user to the login page (with the right redirect).
  if (current.meta.public || current.matched.length === 0) return;
  void router.replace({ name: 'login', query: { redirect: current.fullPath } });
});

app.mount('#q-app');
