/** The live-show panels' texts (Indonesian by default, English available). */
import type { Lang } from '../../shared/i18n.js';

const id = {
  paneLabel: 'Siaran',
  requests: 'Request lagu',
  requestsEmpty: 'Belum ada request lagu.',
  askedBy: (n: number) => `${n} pendengar`,
  played: 'Diputar',
  skip: 'Lewati',
  markedPlayed: (title: string) => `${title} ditandai diputar.`,
  markedSkipped: (title: string) => `${title} dilewati.`,
  queue: 'Antrean siaran',
  queueEmpty: 'Antrean kosong. Pilih pesan pendengar lalu tekan “Antrekan”.',
  openScreen: 'Buka layar siaran',
  stateQueued: 'Menunggu',
  stateOnAir: 'Sedang dibaca',
  stateUsed: 'Sudah dibaca',
  up: 'Naik',
  down: 'Turun',
  moveUp: (name: string) => `Naik: pesan ${name}`,
  moveDown: (name: string) => `Turun: pesan ${name}`,
  putOnAir: 'Siarkan',
  markUsed: 'Selesai',
  remove: 'Hapus',
  movedTo: (name: string, position: number) => `Pesan ${name} sekarang di posisi ${position}.`,
  onAirNow: (name: string) => `Pesan ${name} sedang disiarkan.`,
  addToQueue: 'Antrekan',
  addToQueueLabel: 'Antrekan ke antrean siaran',
  queued: (name: string) => `Pesan ${name} masuk antrean siaran.`,
  requestChip: (title: string, artist: string) => `♪ Request: ${artist ? `${title} – ${artist}` : title}`,
  failed: 'Perubahan gagal disimpan. Coba lagi.',
  keyboardHint: 'Alt+↑ / Alt+↓ memindahkan pesan.',
};

export type ShowStrings = typeof id;

const en: ShowStrings = {
  paneLabel: 'On air',
  requests: 'Song requests',
  requestsEmpty: 'No song requests yet.',
  askedBy: (n) => `${n} ${n === 1 ? 'listener' : 'listeners'}`,
  played: 'Played',
  skip: 'Skip',
  markedPlayed: (title) => `${title} marked as played.`,
  markedSkipped: (title) => `${title} skipped.`,
  queue: 'On-air queue',
  queueEmpty: 'The queue is empty. Pick a listener message and press “Queue”.',
  openScreen: 'Open the studio screen',
  stateQueued: 'Waiting',
  stateOnAir: 'On air',
  stateUsed: 'Read',
  up: 'Up',
  down: 'Down',
  moveUp: (name) => `Up: ${name}'s message`,
  moveDown: (name) => `Down: ${name}'s message`,
  putOnAir: 'On air',
  markUsed: 'Done',
  remove: 'Remove',
  movedTo: (name, position) => `${name}'s message is now at position ${position}.`,
  onAirNow: (name) => `${name}'s message is on air.`,
  addToQueue: 'Queue',
  addToQueueLabel: 'Queue for reading on air',
  queued: (name) => `${name}'s message was queued.`,
  requestChip: (title, artist) => `♪ Request: ${artist ? `${title} – ${artist}` : title}`,
  failed: 'The change was not saved. Try again.',
  keyboardHint: 'Alt+↑ / Alt+↓ moves a message.',
};

export function showStrings(lang: Lang): ShowStrings {
  return lang === 'en' ? en : id;
}
