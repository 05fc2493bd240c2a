/** Texts of the widget's newer controls, in both interface languages. */
import type { Lang } from '../shared/i18n.js';

export interface WidgetText {
  newReply: string;
  newReplyTitle: string;
  rateLimited(seconds: number): string;
  tooLong(over: number): string;
  endQuestion: string;
  endHint: string;
  endKeep: string;
  endErase: string;
  cancel: string;
  eraseFailed: string;
}

const id: WidgetText = {
  newReply: 'Balasan baru ↓',
  newReplyTitle: 'Balasan baru',
  rateLimited: (seconds) => `Terlalu cepat. Pesan berikutnya bisa dikirim dalam ${seconds} detik.`,
  tooLong: (over) => `Terlalu panjang: ${over} karakter lebih dari 1000. Pendekkan dulu sebelum dikirim.`,
  endQuestion: 'Akhiri chat ini?',
  endHint: 'Percakapan tetap tersimpan untuk penyiar, kecuali Anda menghapusnya.',
  endKeep: 'Akhiri',
  endErase: 'Akhiri dan hapus percakapan',
  cancel: 'Batal',
  eraseFailed: 'Percakapan belum terhapus. Coba lagi.',
};

const en: WidgetText = {
  newReply: 'New reply ↓',
  newReplyTitle: 'New reply',
  rateLimited: (seconds) => `Too fast. You can send again in ${seconds} s.`,
  tooLong: (over) => `Too long: ${over} characters over 1000. Shorten it before sending.`,
  endQuestion: 'End this chat?',
  endHint: 'The conversation stays with the station unless you erase it.',
  endKeep: 'End',
  endErase: 'End and erase the conversation',
  cancel: 'Cancel',
  eraseFailed: 'The conversation was not erased. Please try again.',
};

export function widgetText(lang: Lang): WidgetText {
  return lang === 'en' ? en : id;
}
