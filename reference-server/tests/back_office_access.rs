//! The browser back office's access control (issue 28, point 2): pages
//! need a signed-in named operator (a session cookie: HttpOnly,
//! SameSite=Strict); an operator of one depot cannot see another depot's
//! devices or claims; an operator without the approver role cannot give a
//! claim's final decision; a form posted without its CSRF token is refused
//! and changes nothing; every page renders in French, Arabic (right to
//! left) and English. Run on PostgreSQL with `ESCROW_TEST_DATABASE_URL`.

mod back_office_scene;
mod common;
mod doorstep;

use back_office_scene::{WebClient, scene};

#[tokio::test]
async fn pages_need_a_session_and_the_cookie_is_http_only_and_same_site_strict() {
    let s = scene().await;
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for path in [
        "/back-office/fleet",
        "/back-office/claims",
        "/back-office/depots",
    ] {
        let r = anonymous.get(s.h.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(
            r.headers().get("location").and_then(|v| v.to_str().ok()),
            Some("/back-office/sign-in")
        );
    }
    let nour = WebClient::sign_in(&s, "nour").await;
    assert!(nour.set_cookie.contains("HttpOnly"), "{}", nour.set_cookie);
    assert!(
        nour.set_cookie.contains("SameSite=Strict"),
        "{}",
        nour.set_cookie
    );
    assert!(
        !nour.set_cookie.contains("Secure"),
        "plain HTTP on loopback: no Secure flag ({})",
        nour.set_cookie
    );
    let (status, html) = nour.get("/back-office/fleet").await;
    assert_eq!(status, 200);
    assert!(html.contains(&s.alg.id) && html.contains(&s.orn.id));
}

#[tokio::test]
async fn a_wrong_password_opens_no_session() {
    let s = scene().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let form = http
        .get(s.h.url("/back-office/sign-in"))
        .send()
        .await
        .expect("form");
    let cookie = form.headers()["set-cookie"].to_str().expect("cookie");
    let cookie = cookie.split(';').next().expect("pair").to_owned();
    let csrf = back_office_scene::csrf_of(&form.text().await.expect("html"));
    let r = http
        .post(s.h.url("/back-office/sign-in"))
        .header("cookie", cookie)
        .form(&[("name", "nour"), ("password", "wrong"), ("csrf", &csrf)])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()
            .get("set-cookie")
            .is_some_and(|c| !c.to_str().unwrap_or("").starts_with("bo_session="))
    );
}

#[tokio::test]
async fn an_operator_of_one_depot_cannot_see_another_depots_devices_or_claims() {
    let s = scene().await;
    let yacine = WebClient::sign_in(&s, "yacine").await;
    let (status, fleet) = yacine.get("/back-office/fleet").await;
    assert_eq!(status, 200);
    assert!(
        fleet.contains(&s.alg.id),
        "its own depot's device is listed"
    );
    assert!(!fleet.contains(&s.orn.id), "another depot's device is not");
    let (status, _) = yacine
        .get(&format!("/back-office/fleet/{}", s.orn.id))
        .await;
    assert_eq!(status, 404);
    let (status, claims) = yacine.get("/back-office/claims").await;
    assert_eq!(status, 200);
    assert!(
        claims.contains("W-ALG") && !claims.contains("W-ORN"),
        "{claims}"
    );
    let (status, _) = yacine
        .get(&format!("/back-office/claims/{}", s.claim_orn.claim_id))
        .await;
    assert_eq!(status, 404);
    // Nor decide on it.
    let csrf = yacine.csrf("/back-office/claims").await;
    let (status, _) = yacine
        .post(
            &format!("/back-office/claims/{}/decisions", s.claim_orn.claim_id),
            &[("csrf", &csrf), ("decision", "refund"), ("reason", "x")],
        )
        .await;
    assert_eq!(status, 404);
    let (status, own) = yacine.get("/back-office/orders?q=W-ALG").await;
    assert_eq!(status, 200);
    assert!(
        own.contains("timeline-event"),
        "its own depot's order: {own}"
    );
    let (status, other) = yacine.get("/back-office/orders?q=W-ORN").await;
    assert_eq!(status, 200);
    assert!(
        !other.contains("timeline-event"),
        "another depot's order shows nothing"
    );
    let (status, depots) = yacine.get("/back-office/depots?depot=ORN-2").await;
    assert_eq!(status, 404, "{depots}");
}

#[tokio::test]
async fn an_operator_without_the_approver_role_cannot_give_the_final_decision() {
    let s = scene().await;
    let path = format!("/back-office/claims/{}", s.claim_alg.claim_id);
    let amina = WebClient::sign_in(&s, "amina").await;
    let csrf = amina.csrf(&path).await;
    let (status, _) = amina
        .post(
            &format!("{path}/decisions"),
            &[
                ("csrf", &csrf),
                ("decision", "refund"),
                ("reason", "photo shows it"),
            ],
        )
        .await;
    assert_eq!(status, 303, "the first decision");
    let (_, page) = amina.get(&path).await;
    assert!(
        page.contains("data-status=\"pending_second_approval\""),
        "{page}"
    );

    // Another back-office agent, not an approver: refused, still pending.
    let karim = WebClient::sign_in(&s, "karim").await;
    let csrf = karim.csrf(&path).await;
    let (status, html) = karim
        .post(
            &format!("{path}/decisions"),
            &[
                ("csrf", &csrf),
                ("decision", "refund"),
                ("reason", "agreed"),
            ],
        )
        .await;
    assert_eq!(status, 409, "{html}");
    let (_, page) = karim.get(&path).await;
    assert!(page.contains("data-status=\"pending_second_approval\""));

    // Carrier IT does not even reach the form's action.
    let nour = WebClient::sign_in(&s, "nour").await;
    let csrf = nour.csrf("/back-office/fleet").await;
    let (status, _) = nour
        .post(
            &format!("{path}/decisions"),
            &[
                ("csrf", &csrf),
                ("decision", "refund"),
                ("reason", "agreed"),
            ],
        )
        .await;
    assert_eq!(status, 403);

    // The approver: final.
    let sami = WebClient::sign_in(&s, "sami").await;
    let csrf = sami.csrf(&path).await;
    let (status, _) = sami
        .post(
            &format!("{path}/decisions"),
            &[
                ("csrf", &csrf),
                ("decision", "refund"),
                ("reason", "agreed"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = sami.get(&path).await;
    assert!(page.contains("data-status=\"refund_approved\""), "{page}");
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing() {
    let s = scene().await;
    let nour = WebClient::sign_in(&s, "nour").await;
    let revoke = format!("/back-office/fleet/{}/revoke", s.alg.id);
    for fields in [
        vec![("reason", "stolen"), ("confirm_id", s.alg.id.as_str())],
        vec![
            ("csrf", "0000"),
            ("reason", "stolen"),
            ("confirm_id", s.alg.id.as_str()),
        ],
    ] {
        let (status, _) = nour.post(&revoke, &fields).await;
        assert_eq!(status, 403);
    }
    let (_, page) = nour.get(&format!("/back-office/fleet/{}", s.alg.id)).await;
    assert!(!page.contains("badge bad"), "not revoked");
    // Another session's token is no better.
    let other = WebClient::sign_in(&s, "nour").await;
    let foreign = other.csrf("/back-office/fleet").await;
    let (status, _) = nour
        .post(
            &revoke,
            &[
                ("csrf", &foreign),
                ("reason", "stolen"),
                ("confirm_id", &s.alg.id),
            ],
        )
        .await;
    assert_eq!(status, 403);
    // Sign-out without the token is refused too; with it, the session ends.
    let (status, _) = nour.post("/back-office/sign-out", &[]).await;
    assert_eq!(status, 403);
    let csrf = nour.csrf("/back-office/fleet").await;
    let (status, _) = nour.post("/back-office/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);
    let (status, _) = nour.get("/back-office/fleet").await;
    assert_eq!(status, 303, "signed out: back to the sign-in page");
}

#[tokio::test]
async fn revocation_takes_the_reason_then_the_device_id_typed_again() {
    let s = scene().await;
    let nour = WebClient::sign_in(&s, "nour").await;
    let device = format!("/back-office/fleet/{}", s.alg.id);
    let csrf = nour.csrf(&device).await;
    let revoke = format!("{device}/revoke");
    let (status, confirm) = nour
        .post(&revoke, &[("csrf", &csrf), ("reason", "lost on the route")])
        .await;
    assert_eq!(status, 200);
    assert!(confirm.contains("confirm_id"), "the second confirmation");
    let (_, page) = nour.get(&device).await;
    assert!(
        !page.contains("badge bad"),
        "nothing revoked after the first step"
    );
    let (status, _) = nour
        .post(
            &revoke,
            &[
                ("csrf", &csrf),
                ("reason", "lost on the route"),
                ("confirm_id", "someone-else"),
            ],
        )
        .await;
    assert_eq!(status, 400, "a mismatched id revokes nothing");
    let (status, _) = nour
        .post(
            &revoke,
            &[
                ("csrf", &csrf),
                ("reason", "lost on the route"),
                ("confirm_id", &s.alg.id),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = nour.get(&device).await;
    assert!(page.contains("lost on the route") && page.contains("badge bad"));
    // The device API refuses it now, and the audit log names who did it.
    let audit: serde_json::Value =
        s.h.http
            .get(s.h.url("/v1/admin/audit"))
            .bearer_auth(common::ADMIN)
            .send()
            .await
            .expect("audit")
            .json()
            .await
            .expect("json");
    let revoked_by = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == "device_revoked")
        .map(|e| e["operator"].clone());
    assert_eq!(revoked_by, Some(serde_json::json!("nour")));
    // A depot manager may read the fleet but not revoke.
    let yacine = WebClient::sign_in(&s, "yacine").await;
    let csrf = yacine.csrf("/back-office/fleet").await;
    let (status, _) = yacine
        .post(
            &format!("/back-office/fleet/{}/revoke", s.alg.id),
            &[("csrf", &csrf), ("reason", "x"), ("confirm_id", &s.alg.id)],
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn every_page_renders_in_french_arabic_right_to_left_and_english() {
    let s = scene().await;
    let mut sami = WebClient::sign_in(&s, "sami").await;
    let nour = WebClient::sign_in(&s, "nour").await;
    let base = sami.cookie.clone();
    for (lang, dir, word) in [
        ("fr", "ltr", "Réclamations"),
        ("ar", "rtl", "المطالبات"),
        ("en", "ltr", "Claims"),
    ] {
        sami.cookie = format!("{base}; bo_lang={lang}");
        for path in [
            "/back-office/claims".to_owned(),
            format!("/back-office/claims/{}", s.claim_alg.claim_id),
            "/back-office/depots?depot=ALG-1".to_owned(),
            "/back-office/orders?q=W-ALG".to_owned(),
        ] {
            let (status, html) = sami.get(&path).await;
            assert_eq!(status, 200, "{lang} {path}: {html}");
            assert!(
                html.contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
                "{lang} {path}"
            );
            assert!(html.contains(word), "{lang} {path}");
        }
    }
    let mut nour = nour;
    let base = nour.cookie.clone();
    for lang in ["fr", "ar", "en"] {
        nour.cookie = format!("{base}; bo_lang={lang}");
        for path in [
            "/back-office/fleet".to_owned(),
            format!("/back-office/fleet/{}", s.orn.id),
        ] {
            let (status, html) = nour.get(&path).await;
            assert_eq!(status, 200, "{lang} {path}: {html}");
        }
    }
}

#[tokio::test]
async fn the_dispute_pack_link_downloads_for_the_claim_roles_of_the_orders_depot_only() {
    let s = scene().await;
    let yacine = WebClient::sign_in(&s, "yacine").await;
    let (status, page) = yacine.get("/back-office/orders?q=W-ALG").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("href=\"/back-office/orders/W-ALG/dispute-pack\""),
        "the timeline links its pack: {page}"
    );
    let r = reqwest::Client::new()
        .get(s.h.url("/back-office/orders/W-ALG/dispute-pack"))
        .header("cookie", &yacine.cookie)
        .send()
        .await
        .expect("pack");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("dispute-pack-W-ALG.tar")
    );
    let bytes = r.bytes().await.expect("bytes");
    assert!(bytes.len() > 1024 && &bytes[257..262] == b"ustar", "a tar");
    // Another depot's order: nothing, as on its timeline.
    let (status, _) = yacine.get("/back-office/orders/W-ORN/dispute-pack").await;
    assert_eq!(status, 404);
    // Carrier IT has no claims role: refused, no pack.
    let nour = WebClient::sign_in(&s, "nour").await;
    let (status, page) = nour.get("/back-office/orders/W-ALG/dispute-pack").await;
    assert_eq!(status, 403, "{page}");
}
