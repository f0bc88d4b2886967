import type { CreateReminderBody, Notification, NotificationListQuery, Page, Reminder, ReminderListQuery } from '@vigie/core';
import { http } from './http';

export type ReminderListParams = Partial<ReminderListQuery>;
/** GET /notifications: a page plus the number of unread ones (for the bell). */
export type NotificationPage = Page<Notification> & { unreadCount: number };

const id = (value: string) => encodeURIComponent(value);

// Reminders: at their time the owner is notified in the app and by e-mail.
export const listReminders = (params: ReminderListParams) => http.get<Page<Reminder>>('/reminders', params);
export const createReminder = (body: CreateReminderBody) => http.post<Reminder>('/reminders', body);
/** Fires again at `until` (ISO with offset). */
export const snoozeReminder = (reminderId: string, until: string) => http.post<Reminder>(`/reminders/${id(reminderId)}/snooze`, { until });
export const completeReminder = (reminderId: string) => http.post<Reminder>(`/reminders/${id(reminderId)}/done`);
export const cancelReminder = (reminderId: string) => http.delete(`/reminders/${id(reminderId)}`);

// Notifications (yours)
export const listNotifications = (params: Partial<Omit<NotificationListQuery, 'unread'>> & { unread?: boolean }) =>
  http.get<NotificationPage>('/notifications', params);
export const markNotificationRead = (notificationId: string) => http.post<void>(`/notifications/${id(notificationId)}/read`);
export const markAllNotificationsRead = () => http.post<void>('/notifications/read-all');
