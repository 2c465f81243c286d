// Strings in English and Chinese. t('key', {n: 3}) fills {n}. Elements with
// data-i18n="key" get the string as textContent; data-i18n-placeholder, data-i18n-aria-label
// and data-i18n-title set those attributes. Never HTML.

const STRINGS = {
  en: {
    'app.name': 'Peerline',
    'lang.other': '中文',
    'lang.switch': 'Switch language to Chinese',
    'skip': 'Skip to main content',
    'quickexit': 'Quick exit',
    'quickexit.title': 'Leave at once: ends the chat, clears this page and opens a neutral site',
    'crisis.button': 'Crisis help',
    'crisis.title': 'If you are in danger now',
    'crisis.lead': 'Peerline is not an emergency service. If you might hurt yourself or someone else, or are in danger, contact one of these now:',
    'crisis.close': 'Close',
    'crisis.loading': 'Loading numbers…',
    'crisis.fallback': 'Call your local emergency number (China: 120 / 110; US: 911, or 988 for crisis support).',
    'intro.title': 'Talk to a fellow student, anonymously',
    'intro.what': 'Peerline is a free chat with trained student peer helpers. You don’t need an account or a name.',
    'intro.anon': 'It is anonymous: we keep no name, no IP address and no device id. Your chat is tied only to this browser tab.',
    'intro.notemergency': 'Peerline is not an emergency service. If you are in danger now, use “Crisis help” at the top.',
    'form.topic': 'What is it about? (optional)',
    'form.topic.none': 'I’d rather not say',
    'topic.academic': 'Studies and exams',
    'topic.relationships': 'Relationships and friends',
    'topic.family': 'Family',
    'topic.mood': 'Mood and feelings',
    'topic.other': 'Something else',
    'form.note': 'Anything you want to say first? (optional)',
    'form.note.hint': 'Don’t include your name, phone number or student number.',
    'form.submit': 'Talk to someone',
    'queue.title': 'Finding someone for you',
    'queue.position': 'You are number {n} in line.',
    'queue.next': 'You are next in line.',
    'queue.wait': 'Estimated wait: {t}.',
    'queue.waitunknown': 'We can’t give an honest estimate of the wait right now.',
    'queue.nohelpers': 'No peer helper is online right now. You keep your place in line and will be connected as soon as one comes online.',
    'queue.helpers': '{n} peer helpers online.',
    'queue.helpers1': '1 peer helper online.',
    'queue.connecting': 'Joining the line…',
    'queue.cancel': 'Stop waiting',
    'selfhelp.title': 'While you wait',
    'dur.lt1': 'less than a minute',
    'dur.min': 'about {n} min',
    'chat.with': 'You’re talking with {alias}, a trained peer helper.',
    'chat.withcounselor': 'You’re talking with {alias}, a counselor.',
    'chat.you': 'You',
    'chat.helper': 'Peer helper',
    'chat.counselor': 'Counselor',
    'chat.seeker': 'Student',
    'chat.composer': 'Your message',
    'chat.placeholder': 'Write a message…',
    'chat.send': 'Send',
    'chat.leave': 'End chat',
    'chat.typing': '{alias} is typing…',
    'chat.sending': 'Sending…',
    'chat.delivered': 'Delivered',
    'chat.offlinequeued': 'Will be sent when you’re back online',
    'chat.failed': 'Not sent',
    'chat.toolong': 'That message is too long (2000 characters at most).',
    'chat.counselorjoined': 'A counselor ({alias}) joined the conversation.',
    'chat.counselorleft': 'The counselor ({alias}) left the conversation.',
    'chat.helperleft': '{alias} was disconnected. You’re back at the front of the line; your chat is kept.',
    'chat.helperhandover': 'The counselor is continuing this conversation with you.',
    'resources.title': 'You don’t have to go through this alone',
    'resources.lead': 'Please reach out to one of these now. A counselor has been asked to join this chat.',
    'ended.title': 'The chat has ended',
    'ended.by.seeker': 'You ended the chat.',
    'ended.by.helper': 'The peer helper ended the chat.',
    'ended.by.counselor': 'The counselor ended the chat.',
    'ended.by.server': 'The chat was ended.',
    'ended.reason': 'Reason: {reason}',
    'ended.reason.no_helper_back': 'Your helper could not come back.',
    'ended.reason.seeker_gone': 'You were away for too long.',
    'ended.reason.cancelled': 'You stopped waiting.',
    'feedback.title': 'Before you go (optional)',
    'feedback.rating': 'How helpful was this chat?',
    'feedback.rating.n': '{n} of 5',
    'feedback.feeling': 'How do you feel now?',
    'feedback.better': 'Better',
    'feedback.same': 'About the same',
    'feedback.worse': 'Worse',
    'feedback.submit': 'Send feedback',
    'feedback.thanks': 'Thank you. Take care of yourself.',
    'feedback.again': 'Talk to someone again',
    'conn.connecting': 'Connecting…',
    'conn.offline': 'Connection lost. Reconnecting… Your messages will be sent when you’re back.',
    'conn.replaced': 'This chat is open in another tab or window.',
    'conn.retry': 'Reconnect now',
    'conn.expired': 'Your previous chat could not be found. You can start a new one.',
    'staff.login.title': 'Sign in',
    'staff.username': 'Username',
    'staff.password': 'Password',
    'staff.login': 'Sign in',
    'staff.logout': 'Sign out',
    'staff.badlogin': 'Wrong username or password.',
    'staff.loginerror': 'Could not sign in. Please try again.',
    'staff.wrongrole': 'This account is a {role} account. Use the {role} console.',
    'staff.expired': 'Your sign-in expired. Please sign in again.',
    'staff.signedinas': 'Signed in as {alias}',
    'staff.nosession': 'No conversation selected.',
    'staff.sessions': 'Conversations',
    'staff.nosessions': 'No conversations yet.',
    'staff.unread': '{n} unread',
    'staff.ended': 'ended',
    'staff.close': 'Close',
    'staff.leave': 'Leave',
    'staff.topic': 'Topic: {topic}',
    'staff.firstwords': 'First words: “{note}”',
    'staff.lang': 'Language: {lang}',
    'staff.seekerleft': 'The student ended the chat.',
    'staff.youleft': 'You left this conversation.',
    'staff.over': 'This conversation has ended.',
    'staff.sessionended': 'Conversation ended ({reason}).',
    'flag.sev.1': 'Note',
    'flag.sev.2': 'Concern',
    'flag.sev.3': 'Crisis',
    'flag.matched': 'matched: {words}',
    'helper.title': 'Peerline · helper console',
    'helper.available': 'Available for new chats',
    'helper.prefs': 'Preferences',
    'helper.capacity': 'Chats at once',
    'helper.topics': 'Topics',
    'helper.langs': 'Languages',
    'helper.presence.on': 'Available · {active} of {capacity} chats',
    'helper.presence.off': 'Not taking new chats · {active} active',
    'helper.newmatch': 'New chat: {alias}',
    'helper.escalate': 'Call a counselor',
    'helper.escalate.reason': 'Why? (the counselor sees this)',
    'helper.escalate.send': 'Alert counselor',
    'helper.escalate.cancel': 'Cancel',
    'helper.escalate.sent': 'A counselor has been alerted.',
    'helper.takenover': 'A counselor took over this conversation. Thank you — you did the right thing.',
    'helper.cooldown': 'Take a breather. You won’t be given new chats for {t}.',
    'helper.cooldown.skip': 'Take chats now',
    'counselor.title': 'Peerline · counselor console',
    'counselor.oncall': 'On call',
    'counselor.presence.on': 'On call',
    'counselor.presence.off': 'Off call — you will not receive alerts',
    'counselor.alerts': 'Alerts',
    'counselor.noalerts': 'No open alerts.',
    'counselor.watch': 'Watch list',
    'counselor.nowatch': 'Nothing on the watch list.',
    'counselor.claim': 'Claim and join',
    'counselor.claimed': 'Claimed by another counselor',
    'counselor.mine': 'Yours',
    'counselor.waiting': 'waiting {t}',
    'counselor.severity': 'Severity {n}',
    'counselor.reason': 'Reason: {reason}',
    'counselor.lookin': 'Look in',
    'counselor.takeover': 'Take over from helper',
    'counselor.resolve': 'Resolve alert',
    'counselor.outcome': 'Outcome',
    'counselor.outcome.safe': 'Safe',
    'counselor.outcome.referred': 'Referred',
    'counselor.outcome.emergency_services': 'Emergency services',
    'counselor.outcome.no_contact': 'No contact',
    'counselor.outcome.other': 'Other',
    'counselor.note': 'Note (optional)',
    'counselor.resolved': 'Alert resolved: {outcome}',
    'counselor.newalert': 'ALERT — a student needs a counselor',
    'counselor.tooLate': 'Another counselor claimed this alert first.',
    'counselor.helperleft': 'The helper left; you are now with the student.',
  },
  zh: {
    'app.name': 'Peerline 朋辈连线',
    'lang.other': 'English',
    'lang.switch': '切换为英文',
    'skip': '跳到主要内容',
    'quickexit': '快速离开',
    'quickexit.title': '立即离开：结束聊天、清除本页记录并打开一个普通网站',
    'crisis.button': '紧急求助',
    'crisis.title': '如果你现在有危险',
    'crisis.lead': 'Peerline 不是紧急服务。如果你可能伤害自己或他人，或正处于危险中，请立即联系：',
    'crisis.close': '关闭',
    'crisis.loading': '正在加载电话…',
    'crisis.fallback': '请拨打当地紧急电话（中国：120 / 110）。',
    'intro.title': '匿名和一位同学聊聊',
    'intro.what': 'Peerline 是免费的聊天服务，由受过培训的学生朋辈倾听者陪你聊。不需要账号，也不需要名字。',
    'intro.anon': '完全匿名：我们不保存姓名、IP 地址或设备标识。聊天只与这个浏览器标签页相关。',
    'intro.notemergency': 'Peerline 不是紧急服务。如果你现在有危险，请点击顶部的“紧急求助”。',
    'form.topic': '想聊什么？（可选）',
    'form.topic.none': '不想说',
    'topic.academic': '学业与考试',
    'topic.relationships': '感情与朋友',
    'topic.family': '家庭',
    'topic.mood': '心情与情绪',
    'topic.other': '其他',
    'form.note': '想先说点什么吗？（可选）',
    'form.note.hint': '请不要写下你的姓名、电话或学号。',
    'form.submit': '找人聊聊',
    'queue.title': '正在为你寻找倾听者',
    'queue.position': '你排在第 {n} 位。',
    'queue.next': '下一个就是你。',
    'queue.wait': '预计等待：{t}。',
    'queue.waitunknown': '现在无法给出可靠的等待时间。',
    'queue.nohelpers': '目前没有朋辈倾听者在线。你的位置会保留，一有人上线就为你接通。',
    'queue.helpers': '{n} 位朋辈倾听者在线。',
    'queue.helpers1': '1 位朋辈倾听者在线。',
    'queue.connecting': '正在排队…',
    'queue.cancel': '不等了',
    'selfhelp.title': '等待的时候，可以看看',
    'dur.lt1': '不到 1 分钟',
    'dur.min': '约 {n} 分钟',
    'chat.with': '正在和 {alias} 聊天，TA 是受过培训的朋辈倾听者。',
    'chat.withcounselor': '正在和咨询师 {alias} 聊天。',
    'chat.you': '我',
    'chat.helper': '朋辈倾听者',
    'chat.counselor': '咨询师',
    'chat.seeker': '同学',
    'chat.composer': '你的消息',
    'chat.placeholder': '写点什么…',
    'chat.send': '发送',
    'chat.leave': '结束聊天',
    'chat.typing': '{alias} 正在输入…',
    'chat.sending': '发送中…',
    'chat.delivered': '已送达',
    'chat.offlinequeued': '恢复连接后发送',
    'chat.failed': '未发送',
    'chat.toolong': '消息太长了（最多 2000 字）。',
    'chat.counselorjoined': '一位咨询师（{alias}）加入了对话。',
    'chat.counselorleft': '咨询师（{alias}）离开了对话。',
    'chat.helperleft': '{alias} 断开了连接。你回到了队伍最前面，聊天记录会保留。',
    'chat.helperhandover': '接下来由咨询师继续陪你聊。',
    'resources.title': '你不必独自面对',
    'resources.lead': '请现在就联系下面任意一个。我们已经请一位咨询师加入这次聊天。',
    'ended.title': '聊天已结束',
    'ended.by.seeker': '你结束了聊天。',
    'ended.by.helper': '朋辈倾听者结束了聊天。',
    'ended.by.counselor': '咨询师结束了聊天。',
    'ended.by.server': '聊天已结束。',
    'ended.reason': '原因：{reason}',
    'ended.reason.no_helper_back': '倾听者没能回来。',
    'ended.reason.seeker_gone': '你离开的时间太长了。',
    'ended.reason.cancelled': '你停止了等待。',
    'feedback.title': '离开前（可选）',
    'feedback.rating': '这次聊天对你有帮助吗？',
    'feedback.rating.n': '{n} 分（满分 5）',
    'feedback.feeling': '你现在感觉怎么样？',
    'feedback.better': '好一些',
    'feedback.same': '差不多',
    'feedback.worse': '更糟',
    'feedback.submit': '提交反馈',
    'feedback.thanks': '谢谢你。照顾好自己。',
    'feedback.again': '再找人聊聊',
    'conn.connecting': '正在连接…',
    'conn.offline': '连接中断，正在重连… 恢复后会发送你的消息。',
    'conn.replaced': '这次聊天已在另一个标签页或窗口中打开。',
    'conn.retry': '立即重连',
    'conn.expired': '找不到你之前的聊天。你可以开始新的聊天。',
    'staff.login.title': '登录',
    'staff.username': '用户名',
    'staff.password': '密码',
    'staff.login': '登录',
    'staff.logout': '退出',
    'staff.badlogin': '用户名或密码错误。',
    'staff.loginerror': '无法登录，请重试。',
    'staff.wrongrole': '这是 {role} 账号，请使用对应的控制台。',
    'staff.expired': '登录已过期，请重新登录。',
    'staff.signedinas': '已登录：{alias}',
    'staff.nosession': '未选择对话。',
    'staff.sessions': '对话',
    'staff.nosessions': '还没有对话。',
    'staff.unread': '{n} 条未读',
    'staff.ended': '已结束',
    'staff.close': '关闭',
    'staff.leave': '离开',
    'staff.topic': '话题：{topic}',
    'staff.firstwords': '开场白：“{note}”',
    'staff.lang': '语言：{lang}',
    'staff.seekerleft': '同学结束了聊天。',
    'staff.youleft': '你已离开这次对话。',
    'staff.over': '这次对话已结束。',
    'staff.sessionended': '对话已结束（{reason}）。',
    'flag.sev.1': '提示',
    'flag.sev.2': '关注',
    'flag.sev.3': '危机',
    'flag.matched': '命中：{words}',
    'helper.title': 'Peerline · 倾听者控制台',
    'helper.available': '接受新的聊天',
    'helper.prefs': '偏好设置',
    'helper.capacity': '同时聊天数',
    'helper.topics': '话题',
    'helper.langs': '语言',
    'helper.presence.on': '可接待 · {active}/{capacity} 个聊天',
    'helper.presence.off': '暂不接待 · {active} 个进行中',
    'helper.newmatch': '新的聊天：{alias}',
    'helper.escalate': '呼叫咨询师',
    'helper.escalate.reason': '原因（咨询师会看到）',
    'helper.escalate.send': '通知咨询师',
    'helper.escalate.cancel': '取消',
    'helper.escalate.sent': '已通知咨询师。',
    'helper.takenover': '咨询师接手了这次对话。谢谢你，你做得对。',
    'helper.cooldown': '休息一下。{t}内不会给你分配新的聊天。',
    'helper.cooldown.skip': '现在就接待',
    'counselor.title': 'Peerline · 咨询师控制台',
    'counselor.oncall': '值班',
    'counselor.presence.on': '值班中',
    'counselor.presence.off': '未值班 —— 不会收到警报',
    'counselor.alerts': '警报',
    'counselor.noalerts': '没有未处理的警报。',
    'counselor.watch': '关注列表',
    'counselor.nowatch': '关注列表为空。',
    'counselor.claim': '认领并加入',
    'counselor.claimed': '已被其他咨询师认领',
    'counselor.mine': '我认领的',
    'counselor.waiting': '已等待 {t}',
    'counselor.severity': '严重程度 {n}',
    'counselor.reason': '原因：{reason}',
    'counselor.lookin': '查看',
    'counselor.takeover': '从倾听者手中接手',
    'counselor.resolve': '结案',
    'counselor.outcome': '结果',
    'counselor.outcome.safe': '安全',
    'counselor.outcome.referred': '已转介',
    'counselor.outcome.emergency_services': '已联系急救/警方',
    'counselor.outcome.no_contact': '未能联系',
    'counselor.outcome.other': '其他',
    'counselor.note': '备注（可选）',
    'counselor.resolved': '警报已结案：{outcome}',
    'counselor.newalert': '警报 —— 有同学需要咨询师',
    'counselor.tooLate': '另一位咨询师已先认领了这个警报。',
    'counselor.helperleft': '倾听者已离开；现在由你陪伴这位同学。',
  },
};

const CATEGORY = {
  en: {
    self_harm_intent: 'self-harm intent', self_harm: 'self-harm', suicide: 'suicide',
    suicidal_ideation: 'suicidal thoughts', violence: 'violence', harm_to_others: 'harm to others',
    abuse: 'abuse', danger: 'danger', harassment: 'harassment', substance: 'substances',
    eating_disorder: 'eating disorder', pii: 'personal data', self_harm_plan: 'self-harm plan',
    self_harm_means: 'means of self-harm', hopelessness: 'hopelessness', farewell: 'farewell',
    burden: 'feeling a burden', suicide_attempt_in_progress: 'attempt in progress',
    suicide_attempt_history: 'past attempt', abuse_disclosure: 'abuse disclosed',
    sexual_content: 'sexual content', self_harm_time: 'a time set',
  },
  zh: {
    self_harm_intent: '自伤意图', self_harm: '自伤', suicide: '自杀', suicidal_ideation: '自杀念头',
    violence: '暴力', harm_to_others: '伤害他人', abuse: '虐待', danger: '危险', harassment: '骚扰',
    substance: '物质滥用', eating_disorder: '进食障碍', pii: '个人信息', self_harm_plan: '自伤计划',
    self_harm_means: '自伤手段', hopelessness: '绝望', farewell: '告别', burden: '觉得自己是负担',
    suicide_attempt_in_progress: '正在尝试', suicide_attempt_history: '既往尝试',
    abuse_disclosure: '披露受虐', sexual_content: '性内容', self_harm_time: '有具体时间',
  },
};

export const LANGS = ['zh', 'en'];
let current = 'en';
const listeners = [];

export function detectLang(stored) {
  if (LANGS.includes(stored)) return stored;
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const tag of prefs) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGS.includes(base)) return base;
  }
  return 'en';
}

export function lang() {
  return current;
}

export function t(key, vars = {}) {
  let s = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export function has(key) {
  return key in STRINGS[current] || key in STRINGS.en;
}

export function category(name) {
  return CATEGORY[current][name] || CATEGORY.en[name] || String(name).replace(/_/g, ' ');
}

/** "about 3 min" / "less than a minute" from seconds. */
export function duration(seconds) {
  if (seconds < 60) return t('dur.lt1');
  return t('dur.min', { n: Math.round(seconds / 60) });
}

/** "0:42", "12:05" for live counters. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function applyI18n(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) {
    node.setAttribute('placeholder', t(node.dataset.i18nPlaceholder));
  }
  for (const node of root.querySelectorAll('[data-i18n-aria-label]')) {
    node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
  }
  for (const node of root.querySelectorAll('[data-i18n-title]')) {
    node.setAttribute('title', t(node.dataset.i18nTitle));
  }
}

export function setLang(code) {
  current = LANGS.includes(code) ? code : 'en';
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  applyI18n();
  for (const fn of listeners) fn(current);
}

export function onLangChange(fn) {
  listeners.push(fn);
}

/** More strings from a feature's own table ({en: {...}, zh: {...}}), so features keep theirs
 * beside their code (between-strings.js) instead of growing this file. */
export function addStrings(table) {
  for (const code of LANGS) Object.assign(STRINGS[code], table[code] || {});
}
