/** Interface text: Indonesian by default, English available. */
export type Lang = 'id' | 'en';

const LANG_KEY = 'suara-pendengar.lang';

const id = {
  station: 'Suara Pendengar',
  widgetTitle: 'Chat dengan penyiar',
  dashboardTitle: 'Dasbor Penyiar',
  langToggle: 'English',
  langToggleLabel: 'Switch to English',
  // connection
  stateConnecting: 'Menyambungkan…',
  stateOpen: 'Tersambung',
  stateReconnecting: 'Koneksi terputus. Menyambung ulang…',
  stateReconnectingIn: (s: number) => `Koneksi terputus. Mencoba lagi dalam ${s} dtk…`,
  stateOffline: 'Anda sedang offline. Chat tersambung lagi saat internet kembali.',
  stateExpired: 'Sesi berakhir.',
  stateClosed: 'Tidak tersambung.',
  queuedNote: 'Pesan Anda disimpan dan dikirim otomatis saat tersambung.',
  retryNow: 'Coba sekarang',
  // widget start
  intro: 'Sapa penyiar kami! Tulis nama Anda untuk mulai chat.',
  nameLabel: 'Nama',
  cityLabel: 'Kota (opsional)',
  namePlaceholder: 'mis. Rina',
  cityPlaceholder: 'mis. Bandung',
  start: 'Mulai chat',
  starting: 'Memulai…',
  nameRequired: 'Nama wajib diisi.',
  startFailed: 'Chat belum bisa dimulai. Periksa koneksi lalu coba lagi.',
  rateLimited: 'Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.',
  // chat
  composerPlaceholder: 'Tulis pesan…',
  composerLabel: 'Pesan',
  send: 'Kirim',
  you: 'Anda',
  sending: 'Mengirim…',
  sent: 'Terkirim',
  failed: 'Gagal terkirim.',
  failedInvalid: 'Pesan ditolak.',
  failedTooLong: 'Pesan terlalu panjang.',
  retry: 'Coba lagi',
  remove: 'Hapus',
  typing: (name: string) => `${name} sedang mengetik…`,
  emptyChat: 'Belum ada pesan. Penyiar akan membalas di sini.',
  chattingAs: (name: string) => `Chat sebagai ${name}`,
  endChat: 'Akhiri chat',
  newSessionNote: 'Sesi sebelumnya berakhir; percakapan baru dimulai.',
  sessionExpired: 'Sesi chat Anda berakhir.',
  startAgain: 'Mulai chat baru',
  rateLimitedSend: 'Terlalu cepat. Pesan dikirim sebentar lagi.',
  charsLeft: (n: number) => `${n} karakter tersisa`,
  // dashboard
  username: 'Nama pengguna',
  password: 'Kata sandi',
  login: 'Masuk',
  loggingIn: 'Masuk…',
  invalidCredentials: 'Nama pengguna atau kata sandi salah.',
  loginFailed: 'Gagal masuk. Periksa koneksi lalu coba lagi.',
  loginExpired: 'Sesi login berakhir. Silakan masuk lagi.',
  logout: 'Keluar',
  loggedInAs: (name: string) => `Masuk sebagai ${name}`,
  sessions: 'Pendengar',
  noSessions: 'Belum ada pendengar.',
  online: 'online',
  offline: 'offline',
  noMessagesYet: 'Belum ada pesan.',
  pickSession: 'Pilih pendengar di daftar untuk membuka percakapan.',
  back: 'Daftar',
  replyPlaceholder: 'Tulis balasan…',
  reply: 'Balas',
  soundOn: 'Suara: aktif',
  soundOff: 'Suara: mati',
  unread: (n: number) => `${n} belum dibaca`,
  loadFailed: 'Riwayat gagal dimuat.',
  loading: 'Memuat…',
  fromCity: (city: string) => `dari ${city}`,
  youPrefix: 'Anda: ',
  // dashboard: presence, ended sessions, login expiry, notifications, landmarks
  presenceUnknown: 'status tidak diketahui',
  failedSessionEnded: 'Tidak terkirim: sesi pendengar sudah berakhir.',
  sessionEnded: 'Sesi pendengar ini sudah berakhir. Balasan ke sesi ini tidak sampai ke pendengar.',
  sessionEndedMoved: 'Pendengar ini melanjutkan chat di sesi baru.',
  openNewSession: 'Buka sesi baru',
  loginEnding: (time: string) =>
    `Login Anda berakhir pukul ${time}. Masuk lagi sekarang; draf balasan tetap tersimpan.`,
  relogin: 'Masuk lagi',
  desktopNotifyOn: 'Notifikasi desktop: aktif',
  desktopNotifyOff: 'Notifikasi desktop: mati',
  desktopNotifyBlocked: 'Notifikasi desktop diblokir browser',
  newListener: 'Pendengar baru',
  newListenerBody: 'Seorang pendengar baru tersambung.',
  skipToMain: 'Langsung ke daftar pendengar',
  connectionRegion: 'Status koneksi',
  messagesWith: (name: string) => `Pesan dengan ${name}`,
};

export type Strings = typeof id;

const en: Strings = {
  station: 'Suara Pendengar',
  widgetTitle: 'Chat with the studio',
  dashboardTitle: 'Broadcaster dashboard',
  langToggle: 'Bahasa Indonesia',
  langToggleLabel: 'Ganti ke Bahasa Indonesia',
  stateConnecting: 'Connecting…',
  stateOpen: 'Connected',
  stateReconnecting: 'Connection lost. Reconnecting…',
  stateReconnectingIn: (s: number) => `Connection lost. Trying again in ${s} s…`,
  stateOffline: 'You are offline. The chat reconnects when the internet is back.',
  stateExpired: 'Session ended.',
  stateClosed: 'Not connected.',
  queuedNote: 'Your messages are kept and sent automatically once connected.',
  retryNow: 'Try now',
  intro: 'Say hello to our broadcasters! Enter your name to start chatting.',
  nameLabel: 'Name',
  cityLabel: 'City (optional)',
  namePlaceholder: 'e.g. Rina',
  cityPlaceholder: 'e.g. Bandung',
  start: 'Start chat',
  starting: 'Starting…',
  nameRequired: 'Please enter your name.',
  startFailed: 'Could not start the chat. Check your connection and try again.',
  rateLimited: 'Too many attempts. Please wait a moment and try again.',
  composerPlaceholder: 'Write a message…',
  composerLabel: 'Message',
  send: 'Send',
  you: 'You',
  sending: 'Sending…',
  sent: 'Sent',
  failed: 'Not sent.',
  failedInvalid: 'Message refused.',
  failedTooLong: 'Message too long.',
  retry: 'Retry',
  remove: 'Remove',
  typing: (name: string) => `${name} is typing…`,
  emptyChat: 'No messages yet. The broadcaster will answer here.',
  chattingAs: (name: string) => `Chatting as ${name}`,
  endChat: 'End chat',
  newSessionNote: 'The previous session ended; a new conversation has started.',
  sessionExpired: 'Your chat session has ended.',
  startAgain: 'Start a new chat',
  rateLimitedSend: 'Slow down a little. The message will go out shortly.',
  charsLeft: (n: number) => `${n} characters left`,
  username: 'Username',
  password: 'Password',
  login: 'Log in',
  loggingIn: 'Logging in…',
  invalidCredentials: 'Wrong username or password.',
  loginFailed: 'Could not log in. Check your connection and try again.',
  loginExpired: 'Your login expired. Please log in again.',
  logout: 'Log out',
  loggedInAs: (name: string) => `Logged in as ${name}`,
  sessions: 'Listeners',
  noSessions: 'No listeners yet.',
  online: 'online',
  offline: 'offline',
  noMessagesYet: 'No messages yet.',
  pickSession: 'Pick a listener from the list to open the conversation.',
  back: 'List',
  replyPlaceholder: 'Write a reply…',
  reply: 'Reply',
  soundOn: 'Sound: on',
  soundOff: 'Sound: off',
  unread: (n: number) => `${n} unread`,
  loadFailed: 'Could not load the history.',
  loading: 'Loading…',
  fromCity: (city: string) => `from ${city}`,
  youPrefix: 'You: ',
  presenceUnknown: 'status unknown',
  failedSessionEnded: "Not delivered: the listener's session has ended.",
  sessionEnded: "This listener's session has ended. Replies to it do not reach the listener.",
  sessionEndedMoved: 'This listener goes on in a new session.',
  openNewSession: 'Open the new session',
  loginEnding: (time: string) => `Your login ends at ${time}. Log in again now; your draft replies are kept.`,
  relogin: 'Log in again',
  desktopNotifyOn: 'Desktop notifications: on',
  desktopNotifyOff: 'Desktop notifications: off',
  desktopNotifyBlocked: 'Desktop notifications blocked by the browser',
  newListener: 'New listener',
  newListenerBody: 'A new listener has connected.',
  skipToMain: 'Skip to the listener list',
  connectionRegion: 'Connection status',
  messagesWith: (name: string) => `Messages with ${name}`,
};

const dictionaries: Record<Lang, Strings> = { id, en };

export function initialLang(): Lang {
  const fromQuery = new URLSearchParams(location.search).get('lang');
  if (fromQuery === 'en' || fromQuery === 'id') return fromQuery;
  try {
    const stored = localStorage.getItem(LANG_KEY);
    if (stored === 'en' || stored === 'id') return stored;
  } catch {
    // Storage blocked (private mode, third-party frame): default language.
  }
  return 'id';
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // Not persisted; the choice still applies to this page.
  }
}

export function strings(lang: Lang): Strings {
  return dictionaries[lang];
}

/** One formatter per language: building an `Intl.DateTimeFormat` costs far more than using one. */
const timeFormats = new Map<Lang, Intl.DateTimeFormat>();

export function formatTime(iso: string | number, lang: Lang): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  let format = timeFormats.get(lang);
  if (!format) {
    format = new Intl.DateTimeFormat(lang === 'id' ? 'id-ID' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
    timeFormats.set(lang, format);
  }
  return format.format(date);
}
