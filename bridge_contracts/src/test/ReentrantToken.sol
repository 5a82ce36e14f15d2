// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Test-only: an ERC-20 that, once armed, calls back into a target contract whenever
///         that contract moves tokens, to show that the target's reentrancy guard holds.
contract ReentrantToken is ERC20 {
    /// @notice The contract called back (zero: disarmed).
    address public target;
    /// @notice The calldata of the callback.
    bytes public payload;

    constructor() ERC20("Reentrant", "REENT") {}

    /// @notice Arm the callback.
    /// @param target_ Contract to call back when it moves tokens.
    /// @param payload_ Calldata of the callback.
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
    }

    /// @notice Mint freely (test token).
    /// @param to Recipient.
    /// @param amount Amount.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev After the balance update, call the target back if it is the one moving tokens;
    ///      a failing callback reverts the whole transfer with the callback's revert data.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (target != address(0) && msg.sender == target) {
            (bool ok, bytes memory ret) = target.call(payload);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
    }
}
