import { Dialog, Notify } from 'quasar';
import { useI18n } from 'vue-i18n';
import { errorMessage } from '@/i18n/problems';

export interface DeleteConfirmation {
  title: string;
  message: string;
  /** Shown once it is deleted. */
  deleted: string;
  remove: () => Promise<unknown>;
  /** After the deletion succeeded (close the dialog, reload a list…). */
  onDeleted: () => void;
}

/**
 * Asks before deleting (Cancel has the focus), deletes, says so; an error from the API is shown and nothing
 * else happens.
 */
export function useConfirmDelete(): (what: DeleteConfirmation) => void {
  const { t } = useI18n();
  return (what) => {
    Dialog.create({
      title: what.title,
      message: what.message,
      cancel: { label: t('common.cancel'), flat: true },
      ok: { label: t('common.delete'), color: 'negative', unelevated: true, 'data-test': 'confirm-ok' },
      focus: 'cancel',
    }).onOk(async () => {
      try {
        await what.remove();
        Notify.create({ type: 'positive', message: what.deleted });
        what.onDeleted();
      } catch (err) {
        Notify.create({ type: 'negative', message: errorMessage(err) });
      }
    });
  };
}
