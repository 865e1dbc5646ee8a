//! The back office's three languages from one table: French (the default),
//! Arabic (right to left) and English. Pages read their words as `t.key`;
//! a key missing from a template's table is an error at render time.

use std::collections::BTreeMap;

/// A language of the back office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// French.
    Fr,
    /// Arabic, written right to left.
    Ar,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order the switcher shows them.
    pub const ALL: [Lang; 3] = [Lang::Fr, Lang::Ar, Lang::En];

    /// The language's code (`fr`, `ar`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// The language of a code, if it is one of ours.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// Writing direction for `dir=`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::Fr | Lang::En => "ltr",
        }
    }

    /// The language's own name, for the switcher.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::Ar => "العربية",
            Lang::En => "English",
        }
    }

    /// Every word of the table in this language, by key.
    pub fn texts(self) -> BTreeMap<&'static str, &'static str> {
        TEXTS
            .iter()
            .map(|(k, fr, ar, en)| {
                (
                    *k,
                    match self {
                        Lang::Fr => *fr,
                        Lang::Ar => *ar,
                        Lang::En => *en,
                    },
                )
            })
            .collect()
    }
}

/// `(key, French, Arabic, English)`.
pub const TEXTS: &[(&str, &str, &str, &str)] = &[
    (
        "app_title",
        "Back-office séquestre",
        "المكتب الخلفي للضمان",
        "Escrow back office",
    ),
    ("nav_fleet", "Parc", "الأجهزة", "Fleet"),
    ("nav_depots", "Dépôts", "المستودعات", "Depots"),
    ("nav_claims", "Réclamations", "المطالبات", "Claims"),
    ("nav_orders", "Commandes", "الطلبات", "Orders"),
    (
        "orders_title",
        "Historique d’une commande",
        "مسار الطلب",
        "An order's timeline",
    ),
    (
        "no_events",
        "Aucun événement pour cette commande.",
        "لا أحداث لهذا الطلب.",
        "No events for this order.",
    ),
    (
        "event_arrived",
        "Arrivé à l’adresse",
        "الوصول إلى العنوان",
        "Arrived at the address",
    ),
    (
        "event_outcome",
        "Issue de la livraison",
        "نتيجة التسليم",
        "Delivery outcome",
    ),
    ("signed_in_as", "Connecté :", "متصل باسم:", "Signed in as"),
    ("sign_in", "Se connecter", "تسجيل الدخول", "Sign in"),
    ("sign_out", "Se déconnecter", "تسجيل الخروج", "Sign out"),
    (
        "operator_name",
        "Nom d’opérateur",
        "اسم المشغّل",
        "Operator name",
    ),
    ("password", "Mot de passe", "كلمة المرور", "Password"),
    (
        "sign_in_refused",
        "Nom ou mot de passe incorrect.",
        "الاسم أو كلمة المرور غير صحيحة.",
        "Wrong name or password.",
    ),
    ("language", "Langue", "اللغة", "Language"),
    ("search", "Rechercher", "بحث", "Search"),
    (
        "search_fleet_hint",
        "Appareil, étiquette ou dépôt",
        "الجهاز أو الملصق أو المستودع",
        "Device, label or depot",
    ),
    (
        "fleet_title",
        "Parc de terminaux",
        "أجهزة التوصيل",
        "Terminal fleet",
    ),
    ("fleet_count", "appareils", "أجهزة", "devices"),
    ("device", "Appareil", "الجهاز", "Device"),
    ("hardware_label", "Étiquette", "الملصق", "Label"),
    ("depot", "Dépôt", "المستودع", "Depot"),
    ("last_sync", "Dernière synchro", "آخر مزامنة", "Last sync"),
    (
        "last_seq",
        "Dernier événement n°",
        "رقم آخر حدث",
        "Last event no.",
    ),
    ("enrolled_at", "Enrôlé le", "تاريخ التسجيل", "Enrolled"),
    (
        "key_fingerprint",
        "Empreinte de la clé",
        "بصمة المفتاح",
        "Key fingerprint",
    ),
    ("status", "État", "الحالة", "Status"),
    ("active", "Actif", "نشط", "Active"),
    ("revoked", "Révoqué", "مُلغى", "Revoked"),
    ("never", "jamais", "أبدًا", "never"),
    ("none", "aucun", "لا شيء", "none"),
    ("alerts", "Alertes", "التنبيهات", "Alerts"),
    (
        "recent_events",
        "Événements récents",
        "الأحداث الأخيرة",
        "Recent events",
    ),
    ("event_seq", "N°", "رقم", "No."),
    ("event_kind", "Événement", "الحدث", "Event"),
    ("signed_time", "Heure signée", "الوقت الموقّع", "Signed time"),
    ("parcel", "Colis", "الطرد", "Parcel"),
    ("revoke", "Révoquer", "إلغاء", "Revoke"),
    (
        "revoke_reason",
        "Motif de la révocation",
        "سبب الإلغاء",
        "Reason for revoking",
    ),
    (
        "revoke_confirm_title",
        "Confirmer la révocation",
        "تأكيد الإلغاء",
        "Confirm the revocation",
    ),
    (
        "revoke_confirm_text",
        "Ses requêtes seront refusées et ses événements signés après maintenant ne seront pas honorés. Retapez l’identifiant de l’appareil pour confirmer.",
        "سترفض طلباته ولن تُعتمد أحداثه الموقعة بعد الآن. أعد كتابة معرّف الجهاز للتأكيد.",
        "Its requests will be refused and its events signed from now on will not be honoured. Type the device id again to confirm.",
    ),
    (
        "revoke_confirm_id",
        "Identifiant de l’appareil",
        "معرّف الجهاز",
        "Device id",
    ),
    (
        "revoke_final",
        "Révoquer définitivement",
        "إلغاء نهائي",
        "Revoke for good",
    ),
    (
        "revoke_mismatch",
        "L’identifiant retapé ne correspond pas : rien n’a été révoqué.",
        "المعرّف المكتوب لا يطابق: لم يُلغَ شيء.",
        "The id typed does not match: nothing was revoked.",
    ),
    (
        "revoked_done",
        "Appareil révoqué.",
        "تم إلغاء الجهاز.",
        "Device revoked.",
    ),
    ("cancel", "Annuler", "تراجع", "Cancel"),
    ("claims_title", "Réclamations", "المطالبات", "Claims"),
    (
        "search_claims_hint",
        "Référence de commande",
        "مرجع الطلب",
        "Order reference",
    ),
    ("order_ref", "Commande", "الطلب", "Order"),
    ("asked", "Demande", "المطلوب", "Asked"),
    ("reason", "Motif", "السبب", "Reason"),
    ("amount", "Montant", "المبلغ", "Amount"),
    ("filed", "Déposée", "تاريخ التقديم", "Filed"),
    ("filed_by", "Déposée par", "قدّمها", "Filed by"),
    ("decisions", "Décisions", "القرارات", "Decisions"),
    ("decision", "Décision", "القرار", "Decision"),
    ("by", "Par", "بواسطة", "By"),
    ("at", "Le", "في", "At"),
    (
        "decide",
        "Enregistrer la décision",
        "تسجيل القرار",
        "Record the decision",
    ),
    (
        "decision_recorded",
        "Décision enregistrée.",
        "تم تسجيل القرار.",
        "Decision recorded.",
    ),
    (
        "two_approvers_note",
        "Une décision devient définitive quand un second opérateur, approbateur, donne la même.",
        "يصبح القرار نهائيًا عندما يعطي مشغّل ثانٍ معتمِد القرار نفسه.",
        "A decision is final once a second operator, an approver, gives the same one.",
    ),
    ("claim_open", "Ouverte", "مفتوحة", "Open"),
    (
        "claim_pending_second_approval",
        "En attente du second approbateur",
        "بانتظار المعتمِد الثاني",
        "Waiting for the second approver",
    ),
    (
        "claim_exchange_approved",
        "Échange approuvé",
        "تمت الموافقة على الاستبدال",
        "Exchange approved",
    ),
    (
        "claim_refund_approved",
        "Remboursement approuvé",
        "تمت الموافقة على الاسترداد",
        "Refund approved",
    ),
    ("claim_rejected", "Rejetée", "مرفوضة", "Rejected"),
    ("decision_exchange", "Échange", "استبدال", "Exchange"),
    ("decision_refund", "Remboursement", "استرداد", "Refund"),
    ("decision_rejected", "Rejet", "رفض", "Reject"),
    (
        "no_claims",
        "Aucune réclamation.",
        "لا توجد مطالبات.",
        "No claims.",
    ),
    (
        "no_devices",
        "Aucun appareil.",
        "لا توجد أجهزة.",
        "No devices.",
    ),
    ("open", "Ouvrir", "فتح", "Open"),
    ("refused", "Refusé", "مرفوض", "Refused"),
    (
        "not_allowed",
        "Votre compte n’a pas le rôle qu’il faut pour cette page ou cette action.",
        "حسابك لا يملك الدور اللازم لهذه الصفحة أو هذا الإجراء.",
        "Your account lacks the role this page or action needs.",
    ),
    (
        "csrf_refused",
        "Formulaire refusé : jeton anti-falsification absent ou faux. Rechargez la page.",
        "رُفض النموذج: رمز الحماية مفقود أو خاطئ. أعد تحميل الصفحة.",
        "Form refused: its anti-forgery token is missing or wrong. Reload the page.",
    ),
    ("not_found", "Introuvable.", "غير موجود.", "Not found."),
    ("back", "Retour", "رجوع", "Back"),
    (
        "depots_title",
        "Journées par dépôt",
        "أيام المستودعات",
        "Days by depot",
    ),
    ("date", "Date", "التاريخ", "Date"),
    ("show", "Afficher", "عرض", "Show"),
    (
        "download_csv",
        "Télécharger l’extraction CSV",
        "تنزيل ملف CSV",
        "Download the CSV extraction",
    ),
    (
        "download_dispute_pack",
        "Télécharger le dossier de litige (preuves signées)",
        "تنزيل ملف النزاع (الأدلة الموقعة)",
        "Download the dispute pack (signed evidence)",
    ),
    (
        "day_close_flags",
        "Alertes de clôture de journée",
        "تنبيهات إغلاق اليوم",
        "Day-close flags",
    ),
];
