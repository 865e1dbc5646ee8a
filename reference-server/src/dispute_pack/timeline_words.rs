//! The words of a dispute pack's timeline, in French, Arabic and English:
//! one table `(key, fr, ar, en)`; keys are the protocol's own codes (event
//! kinds, outcomes, reasons, payers, check results) or a phrase's name.

/// A language of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineLang {
    /// French.
    Fr,
    /// Arabic (right to left).
    Ar,
    /// English.
    En,
}

impl TimelineLang {
    /// The three, in the pack's order.
    pub const ALL: [TimelineLang; 3] = [TimelineLang::Fr, TimelineLang::Ar, TimelineLang::En];

    /// Its code: `fr`, `ar`, `en`.
    pub fn code(self) -> &'static str {
        match self {
            TimelineLang::Fr => "fr",
            TimelineLang::Ar => "ar",
            TimelineLang::En => "en",
        }
    }

    /// Whether it is written right to left.
    pub fn rtl(self) -> bool {
        self == TimelineLang::Ar
    }

    /// The word for `key`; the key itself when the table lacks it (a code
    /// added to the protocol later still reads as its code).
    pub fn word(self, key: &str) -> String {
        WORDS
            .iter()
            .find(|(k, ..)| *k == key)
            .map(|(_, fr, ar, en)| match self {
                TimelineLang::Fr => *fr,
                TimelineLang::Ar => *ar,
                TimelineLang::En => *en,
            })
            .unwrap_or(key)
            .to_owned()
    }
}

/// `(key, French, Arabic, English)`.
const WORDS: &[(&str, &str, &str, &str)] = &[
    (
        "title",
        "Dossier de litige — commande",
        "ملف النزاع — الطلب",
        "Dispute pack — order",
    ),
    (
        "intro",
        "Récit des événements signés par les terminaux qui ont porté la commande, dans l’ordre de leurs heures signées. Chaque événement est vérifiable : voir README.txt.",
        "سرد الأحداث الموقعة من الأجهزة التي حملت الطلب، بترتيب أوقاتها الموقعة. كل حدث قابل للتحقق: انظر README.txt.",
        "The story told by the events the devices that held the order signed, in the order of their signed times. Every event can be verified: see README.txt.",
    ),
    ("generated", "Établi le", "أُعدّ في", "Made on"),
    (
        "checkpoint",
        "Point de contrôle du journal : taille",
        "نقطة تحقق السجل: الحجم",
        "Log checkpoint: tree size",
    ),
    ("parcel", "Colis", "الطرد", "Parcel"),
    ("amount", "Montant", "المبلغ", "Amount"),
    ("buyer_address", "Adresse", "العنوان", "Address"),
    ("devices", "Terminaux", "الأجهزة", "Devices"),
    ("enrolled", "enrôlé le", "سُجّل في", "enrolled"),
    ("key", "clé", "المفتاح", "key"),
    ("time", "Heure locale", "الوقت المحلي", "Local time"),
    ("who", "Qui", "من", "Who"),
    ("what", "Quoi", "ماذا", "What"),
    ("where", "Où", "أين", "Where"),
    ("device", "terminal", "الجهاز", "device"),
    (
        "courier",
        "le livreur, terminal",
        "المندوب، الجهاز",
        "the courier, device",
    ),
    ("supervisor", "superviseur", "المشرف", "supervisor"),
    ("no_fix", "pas de position", "لا موقع", "no position"),
    (
        "last_fix",
        "dernière position connue, âge",
        "آخر موقع معروف، عمره",
        "last known position, age",
    ),
    ("accuracy", "précision ±", "الدقة ±", "accuracy ±"),
    ("seconds", "s", "ث", "s"),
    (
        "code_check",
        "Vérification du code",
        "التحقق من الرمز",
        "Code check",
    ),
    ("try", "essai", "محاولة", "try"),
    ("of", "sur", "من", "of"),
    (
        "inspection_yes",
        "Inspection proposée à l’acheteur avant le code",
        "عُرض على المشتري فحص الطرد قبل الرمز",
        "The buyer was offered to inspect the parcel before the code",
    ),
    (
        "inspection_no",
        "Inspection non proposée avant le code",
        "لم يُعرض الفحص قبل الرمز",
        "Inspection was not offered before the code",
    ),
    ("reason", "motif", "السبب", "reason"),
    (
        "payer",
        "frais de retour à la charge de",
        "رسوم الإرجاع على",
        "return fees paid by",
    ),
    ("photos", "photos", "صور", "photos"),
    ("channel", "par", "عبر", "by"),
    (
        "not_honoured",
        "Non retenu par le serveur",
        "لم يعتمده الخادم",
        "Not honoured by the server",
    ),
    // Event kinds.
    (
        "manifest_accepted",
        "Manifeste accepté",
        "قُبل البيان",
        "Manifest accepted",
    ),
    (
        "arrived",
        "Arrivé à l’adresse",
        "الوصول إلى العنوان",
        "Arrived at the address",
    ),
    (
        "inspection_offered",
        "Inspection proposée",
        "عُرض الفحص",
        "Inspection offered",
    ),
    (
        "contact_attempt",
        "Tentative de contact",
        "محاولة اتصال",
        "Contact attempt",
    ),
    (
        "code_attempt",
        "Code essayé, refusé",
        "رمز مُجرَّب ومرفوض",
        "Code tried, refused",
    ),
    (
        "item_collected",
        "Article collecté",
        "جُمع الغرض",
        "Item collected",
    ),
    (
        "outcome",
        "Issue de la livraison",
        "نتيجة التسليم",
        "Delivery outcome",
    ),
    ("correction", "Correction", "تصحيح", "Correction"),
    (
        "return_check_in",
        "Retour reçu au dépôt",
        "استُلم المرتجع في المستودع",
        "Return checked in at the depot",
    ),
    ("day_closed", "Journée clôturée", "أُغلق اليوم", "Day closed"),
    (
        "supervisor_signed_in",
        "Superviseur présent",
        "حضور المشرف",
        "Supervisor present",
    ),
    (
        "item_received",
        "Article reçu au dépôt",
        "استُلم الغرض في المستودع",
        "Item received at the depot",
    ),
    (
        "unexpected_return",
        "Retour inattendu (alerte)",
        "مرتجع غير متوقع (تنبيه)",
        "Unexpected return (alarm)",
    ),
    (
        "return_condition",
        "État du retour",
        "حالة المرتجع",
        "Condition of the return",
    ),
    (
        "courier_confirmed",
        "Confirmé par le livreur",
        "أكّده المندوب",
        "Confirmed by the courier",
    ),
    (
        "fee_changed",
        "Payeur des frais changé",
        "تغيّر دافع الرسوم",
        "Fee payer changed",
    ),
    (
        "day_reopened",
        "Journée rouverte",
        "أُعيد فتح اليوم",
        "Day reopened",
    ),
    (
        "parcel_loaded",
        "Chargé dans le véhicule",
        "حُمّل في المركبة",
        "Loaded in the vehicle",
    ),
    (
        "load_alarm",
        "Alerte de chargement",
        "تنبيه التحميل",
        "Load alarm",
    ),
    (
        "load_checked",
        "Chargement vérifié",
        "تم التحقق من التحميل",
        "Load checked",
    ),
    (
        "order_parcel_scanned",
        "Colis de la commande scanné à la porte",
        "مُسح طرد من الطلب عند الباب",
        "Parcel of the order scanned at the door",
    ),
    (
        "order_parcel_refused",
        "Colis de la commande refusé",
        "رُفض طرد من الطلب",
        "Parcel of the order refused",
    ),
    (
        "desk_handover",
        "Remis au point relais",
        "سُلّم إلى نقطة الاستلام",
        "Handed over to the stop desk",
    ),
    (
        "desk_intake",
        "Reçu au point relais",
        "استُلم في نقطة الاستلام",
        "Received at the stop desk",
    ),
    // Outcomes.
    ("delivered", "Livré", "سُلّم", "Delivered"),
    (
        "refused_after_inspection",
        "Refusé après inspection",
        "رُفض بعد الفحص",
        "Refused after inspection",
    ),
    (
        "buyer_cancelled",
        "Annulé par l’acheteur à la porte",
        "ألغاه المشتري عند الباب",
        "Cancelled by the buyer at the door",
    ),
    ("no_answer", "Pas de réponse", "لا رد", "No answer"),
    (
        "no_code",
        "Sans code valide",
        "بدون رمز صالح",
        "No valid code",
    ),
    (
        "carrier_problem",
        "Problème transporteur",
        "مشكلة لدى الناقل",
        "Carrier problem",
    ),
    // Reasons.
    ("damaged", "produit endommagé", "منتج تالف", "damaged"),
    (
        "not_as_described",
        "non conforme à la description",
        "غير مطابق للوصف",
        "not as described",
    ),
    ("wrong_item", "mauvais article", "غرض خاطئ", "wrong item"),
    (
        "changed_mind",
        "a changé d’avis",
        "غيّر رأيه",
        "changed mind",
    ),
    (
        "absent",
        "personne à l’adresse",
        "لا أحد في العنوان",
        "nobody at the address",
    ),
    (
        "code_unknown",
        "code inconnu de l’acheteur",
        "المشتري لا يعرف الرمز",
        "buyer does not know the code",
    ),
    (
        "attempts_exhausted",
        "essais de code épuisés",
        "نفدت محاولات الرمز",
        "code tries used up",
    ),
    (
        "needs_network",
        "vérification en ligne impossible (réseau)",
        "تعذّر التحقق عبر الشبكة",
        "online check impossible (network)",
    ),
    (
        "address_not_found",
        "adresse introuvable",
        "العنوان غير موجود",
        "address not found",
    ),
    (
        "damaged_in_transit",
        "endommagé pendant le transport",
        "تلف أثناء النقل",
        "damaged in transit",
    ),
    (
        "vehicle",
        "problème de véhicule",
        "مشكلة في المركبة",
        "vehicle problem",
    ),
    ("other", "autre", "أخرى", "other"),
    // Who pays.
    ("none", "personne", "لا أحد", "nobody"),
    ("buyer", "l’acheteur", "المشتري", "the buyer"),
    ("seller", "le vendeur", "البائع", "the seller"),
    ("carrier", "le transporteur", "الناقل", "the carrier"),
    (
        "per_policy",
        "selon la politique de retour",
        "حسب سياسة الإرجاع",
        "per the return policy",
    ),
    // Code checks.
    ("keypad", "tapé au clavier", "أُدخل بلوحة المفاتيح", "typed"),
    (
        "qr",
        "QR de l’acheteur scanné",
        "مُسح رمز QR للمشتري",
        "buyer's QR scanned",
    ),
    (
        "offline",
        "vérifié sur le terminal",
        "تُحقّق منه على الجهاز",
        "checked on the device",
    ),
    (
        "online",
        "vérifié par le serveur",
        "تحقق منه الخادم",
        "checked by the server",
    ),
    (
        "match",
        "code juste : vérification réussie",
        "رمز صحيح: نجح التحقق",
        "right code: the check passed",
    ),
    ("mismatch", "code faux", "رمز خاطئ", "wrong code"),
    (
        "locked",
        "bloqué (essais épuisés)",
        "مقفل (نفدت المحاولات)",
        "locked (tries used up)",
    ),
    (
        "unreachable",
        "serveur injoignable",
        "الخادم غير متاح",
        "server unreachable",
    ),
    (
        "interrupted",
        "essai interrompu",
        "محاولة مقطوعة",
        "try interrupted",
    ),
    // Contact channels.
    ("call", "appel", "مكالمة", "call"),
    ("message", "message", "رسالة", "message"),
    ("doorbell", "sonnette", "جرس الباب", "doorbell"),
];
