// PHQ-9 and GAD-7 (free to use; developed by Drs. Spitzer, Williams, Kroenke and colleagues,
// with an educational grant from Pfizer), in English and in the widely used Chinese versions.
// Scored here, in the browser: answers never leave the page.

export const OPTIONS = {
  en: ['Not at all', 'Several days', 'More than half the days', 'Nearly every day'],
  zh: ['完全不会', '好几天', '一半以上的天数', '几乎每天'],
};

export const CHECKS = {
  phq9: {
    title: { en: 'Mood check (PHQ-9)', zh: '情绪自评（PHQ-9）' },
    lead: {
      en: 'Over the last 2 weeks, how often have you been bothered by any of the following problems?',
      zh: '在过去两周里，你有多少时候受到以下问题的困扰？',
    },
    items: {
      en: [
        'Little interest or pleasure in doing things',
        'Feeling down, depressed, or hopeless',
        'Trouble falling or staying asleep, or sleeping too much',
        'Feeling tired or having little energy',
        'Poor appetite or overeating',
        'Feeling bad about yourself, or that you are a failure or have let yourself or your family down',
        'Trouble concentrating on things, such as reading or watching television',
        'Moving or speaking so slowly that other people could have noticed, or the opposite: being so fidgety or restless that you have been moving around a lot more than usual',
        'Thoughts that you would be better off dead, or of hurting yourself in some way',
      ],
      zh: [
        '做事时提不起劲或没有兴趣',
        '感到心情低落、沮丧或绝望',
        '入睡困难、睡不安稳或睡眠过多',
        '感觉疲倦或没有活力',
        '食欲不振或吃太多',
        '觉得自己很糟，或觉得自己很失败，或让自己或家人失望',
        '对事物专注有困难，例如阅读或看电视时',
        '动作或说话速度缓慢到别人已经察觉；或正好相反，烦躁或坐立不安、动来动去的情况比平常更多',
        '有不如死掉或用某种方式伤害自己的念头',
      ],
    },
    // Lower bound of each band (the instrument's published cut-offs).
    bands: [[0, 'minimal'], [5, 'mild'], [10, 'moderate'], [15, 'moderately_severe'], [20, 'severe']],
    // Item 9 (index 8) answered above "not at all" shows crisis resources at once.
    crisisItem: 8,
  },
  gad7: {
    title: { en: 'Anxiety check (GAD-7)', zh: '焦虑自评（GAD-7）' },
    lead: {
      en: 'Over the last 2 weeks, how often have you been bothered by the following problems?',
      zh: '在过去两周里，你有多少时候受到以下问题的困扰？',
    },
    items: {
      en: [
        'Feeling nervous, anxious, or on edge',
        'Not being able to stop or control worrying',
        'Worrying too much about different things',
        'Trouble relaxing',
        'Being so restless that it is hard to sit still',
        'Becoming easily annoyed or irritable',
        'Feeling afraid, as if something awful might happen',
      ],
      zh: [
        '感觉紧张、焦虑或急切',
        '不能够停止或控制担忧',
        '对各种各样的事情担忧过多',
        '很难放松下来',
        '由于不安而无法静坐',
        '变得容易烦恼或急躁',
        '感到似乎将有可怕的事情发生而害怕',
      ],
    },
    bands: [[0, 'minimal'], [5, 'mild'], [10, 'moderate'], [15, 'severe']],
    crisisItem: null,
  },
};

/** The total and its band; `answers` is a list of 0-3 (one per item). */
export function score(check, answers) {
  const total = answers.reduce((sum, a) => sum + a, 0);
  let band = CHECKS[check].bands[0][1];
  for (const [edge, name] of CHECKS[check].bands) if (total >= edge) band = name;
  return { total, band };
}
